"""Entry point: `flask --app app ...` uses `app`; `python app.py` starts the server."""
import sys

from rectify import create_app
from rectify.serve import main

app = create_app()

if __name__ == "__main__":
    sys.exit(main(app, sys.argv[1:]))
