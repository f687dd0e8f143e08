"""The web edge: the FastAPI app factory (`lyceum.web.app.create_app`), auth and health routes.

Nothing is imported here, so `import lyceum.web.…` stays cheap and free of side effects.
"""
