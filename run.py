"""Serve the app: HOST/PORT from the environment (default 127.0.0.1:5000).

On first start the database (DATABASE_URL, or an SQLite file under instance/) is
created and migrated, and in development the demo data is loaded and its accounts
printed once.
"""

import logging
import os

from app import create_app
from app.setup import prepare_database

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
app = create_app()

if __name__ == "__main__":
    if app.config.get("AUTO_MIGRATE", True):
        prepare_database(app)
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    print(f"工程能力评价系统 backend: http://{host}:{port}/  (health: http://{host}:{port}/healthz)", flush=True)
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True, use_reloader=False)
