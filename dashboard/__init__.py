"""The socplan dashboard (Dash). Build it with `dashboard.app.create_app(config)`."""
