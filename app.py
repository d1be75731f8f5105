"""Entry point: `flask --app app run` builds Kindred from the environment."""

from community import create_app

app = create_app()
