"""Flask CLI commands for operators and scripted set-up."""

import datetime as dt

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from app.db import write_transaction
from app.errors import DomainError
from app.extensions import db
from app.models import Channel, IdentityKind, Society
from app.services import (
    accounts,
    channels,
    demo,
    members,
    organisations,
    outbox,
    uploads,
)
from app.setup import print_demo_accounts


def _fail(error: DomainError):
    raise click.ClickException(str(error.message))


def register(app: Flask) -> None:
    account_cli = AppGroup("accounts", help="Accounts and identities.")
    society_cli = AppGroup("societies", help="Societies.")
    channel_cli = AppGroup("channels", help="Channels and their quota figures.")
    demo_cli = AppGroup("demo", help="Demo data.")
    outbox_cli = AppGroup("outbox", help="Outgoing messages.")
    uploads_cli = AppGroup("uploads", help="Private uploaded files.")

    @account_cli.command("create")
    @click.option("--name", required=True)
    @click.option("--mobile")
    @click.option("--email")
    @click.option("--password", help="Leave out to print a one-time set-password link.")
    @click.option("--kind", type=click.Choice([k.value for k in IdentityKind]), required=True)
    @click.option("--society", "society_name", help="Society name (society identities).")
    @click.option("--channel", "channel_id", type=int, help="Channel id (enterprise contacts).")
    def create_account(name, mobile, email, password, kind, society_name, channel_id):
        """Create an account holding one identity (or add the identity to an existing one)."""
        try:
            with write_transaction():
                society = db.session.scalar(select(Society).where(Society.name == society_name)) if society_name else None
                if society_name and society is None:
                    raise click.ClickException(f"no society named {society_name}")
                channel = db.session.get(Channel, channel_id) if channel_id else None
                if channel_id and channel is None:
                    raise click.ClickException(f"no channel {channel_id}")
                account = accounts.find_account(mobile=mobile, email=email)
                if account is None:
                    account = accounts.create_account(name=name, mobile=mobile, email=email, password=password)
                elif password:
                    accounts.set_password(account, password)
                identity = accounts.add_identity(account, IdentityKind(kind), society=society, channel=channel)
                token = None if password else accounts.issue_password_token(account)
        except DomainError as error:
            _fail(error)
        click.echo(f"account {account.id} ({account.username}) holds identity {identity.id}: {identity}")
        if token:
            click.echo(f"set the password at /account/set-password/{token}")

    @society_cli.command("create")
    @click.option("--name", required=True)
    @click.option("--kind", type=click.Choice(["national", "local"]), required=True)
    @click.option("--province")
    def create_society(name, kind, province):
        """Create a society (and its own channel)."""
        try:
            society = organisations.create_society(name, kind, province=province)
        except DomainError as error:
            _fail(error)
        click.echo(f"society {society.id}: {society.name}")

    @channel_cli.command("figures")
    @click.argument("channel_id", type=int)
    def channel_figures(channel_id):
        """Print a channel's quota figures and check its invariants."""
        channel = db.session.get(Channel, channel_id)
        if channel is None:
            raise click.ClickException(f"no channel {channel_id}")
        figures = channels.figures(channel)
        click.echo(
            f"{channel.name} (level {channel.level}): quota {figures.quota}, delegated {figures.delegated}, "
            f"own {figures.own}, used {figures.used}, available {figures.available}, shared {figures.shared}, "
            f"{'enabled' if channel.enabled else 'disabled'}"
        )
        for problem in channels.check_invariants(channel):
            click.echo(f"INVARIANT BROKEN: {problem}", err=True)

    @demo_cli.command("load")
    def load_demo():
        """Load the demo data (organisations once) and print the accounts' new passwords."""
        print_demo_accounts(demo.load_demo_data())

    @demo_cli.command("reset-passwords")
    def reset_passwords():
        """Give the demo accounts new random passwords and print them."""
        print_demo_accounts(demo.reset_demo_accounts())

    @outbox_cli.command("retry")
    def retry_outbox():
        """Send failed messages again."""
        click.echo(f"{outbox.retry_failed()} messages retried")

    @uploads_cli.command("sweep")
    @click.option(
        "--hours",
        type=click.IntRange(min=1),
        default=24,
        show_default=True,
        help="Remove only files written more than this many hours ago.",
    )
    def sweep_uploads(hours: int):
        """Remove photo files no application names (unconfirmed previews)."""
        result = uploads.sweep(
            "photo", members.photo_keys(), dt.timedelta(hours=hours)
        )
        click.echo(
            f"photo files: {result.seen}, kept {result.kept}, removed {result.removed}"
        )

    for group in (
        account_cli,
        society_cli,
        channel_cli,
        demo_cli,
        outbox_cli,
        uploads_cli,
    ):
        app.cli.add_command(group)
