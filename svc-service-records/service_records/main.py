from service_records.bootstrap import create_app

app = create_app()
