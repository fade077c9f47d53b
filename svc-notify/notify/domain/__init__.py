"""The domain of svc-notify: recipients, on-call schedules, rules, templates, the delivery
decisions (quiet hours, floods, retries) and the alarm chain. Pure: no I/O, time passed in."""
