from referral.bootstrap import create_app

app = create_app()
