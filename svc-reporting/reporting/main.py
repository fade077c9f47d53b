from chassis.clock import service_clock
from reporting.bootstrap import create_app

app = create_app(clock=service_clock())  # the wall, or the demo's clock (make demo)
