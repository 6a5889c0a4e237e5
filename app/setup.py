"""First start: create and migrate the database, then load the demo data once."""

import logging

import click
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import inspect

from app.extensions import db
from app.services import demo

logger = logging.getLogger(__name__)


def prepare_database(app: Flask, *, print_to=click.echo) -> None:
    """Bring the schema to the newest migration; load demo data on an empty development
    database and print its one-time passwords."""
    with app.app_context():
        fresh = not inspect(db.engine).has_table("alembic_version")
        upgrade(directory=app.extensions["migrate"].directory)
        if app.config.get("DEMO_DATA") and not demo.has_demo_data():
            accounts = demo.load_demo_data()
            print_demo_accounts(accounts, print_to=print_to)
        elif fresh:
            logger.info("database created and migrated")


def print_demo_accounts(accounts, *, print_to=click.echo) -> None:
    print_to("")
    print_to("Demo accounts (passwords are shown only now; `flask --app run demo reset-passwords` makes new ones):")
    for account in accounts:
        print_to(f"  {account.username:<16} {account.password:<14} {account.name}: {'; '.join(account.identities)}")
    print_to("")
