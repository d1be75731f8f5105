"""Kindred's Flask application: accounts, profiles and the pages around them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from community import extensions
from community.config import Defaults, database_url, development_secret
from community.extensions import csrf, db, limiter, login_manager, migrate


class ConfigurationError(RuntimeError):
    """Raised at start-up when the environment leaves out something required."""


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=True,
    )
    app.config.from_object(Defaults)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.instance_path)
    app.config.from_prefixed_env("KINDRED")
    app.config.update(overrides or {})
    check_secret_key(app)
    trust_proxy_headers(app)
    if app.debug and not app.config.get("DEV_MAIL_DIR"):
        app.config["DEV_MAIL_DIR"] = str(Path(app.instance_path) / "mail")
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def trust_proxy_headers(app: Flask) -> None:
    """Behind a TLS-terminating proxy, believe its X-Forwarded-* headers (and only its)."""
    hops = int(app.config.get("PROXY_FIX_HOPS", 0) or 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Flask's documented way to add WSGI middleware (docs: "Tell Flask it is Behind a
        # Proxy"); mypy flags any assignment over a method, and Flask types no other way.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )


def check_secret_key(app: Flask) -> None:
    """Refuse to start in production without a secret: a default would be a hole."""
    if app.config.get("SECRET_KEY"):
        return
    if app.debug or app.testing:
        app.config["SECRET_KEY"] = development_secret(app.instance_path)
        return
    raise ConfigurationError(
        "KINDRED_SECRET_KEY is not set. Set it to a long random value "
        "(python -c 'import secrets; print(secrets.token_hex(32))'), "
        "or run with --debug for local development."
    )


def register_extensions(app: Flask) -> None:
    from community import models  # noqa: F401  (registers the tables)
    from community.auth import login_loader  # noqa: F401  (registers the user loader)
    from community.mail.inline import register_inline_delivery
    from community.web import read_only_commit

    db.init_app(app)
    read_only_commit.register(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    # Not a module-level name: the `community.mail` package would shadow it.
    extensions.mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    register_inline_delivery(app)


def register_blueprints(app: Flask) -> None:
    from community.account import views as account
    from community.after_meeting import views as after_meeting
    from community.auth import views as auth
    from community.mail import dev_reader as dev_mail
    from community.members import views as members
    from community.web import dev_room, pages

    app.register_blueprint(pages.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(members.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(after_meeting.bp)
    register_round_blueprints(app)
    register_organize_blueprints(app)
    if app.debug or app.config.get("DEV_MAIL_DIR"):
        app.register_blueprint(dev_mail.bp)
        app.register_blueprint(dev_room.bp)


def register_round_blueprints(app: Flask) -> None:
    """Matching rounds for organizers; invitations, unsubscribe and connections for members."""
    from community.invitations import changes_views, connections_views, unsubscribe_views
    from community.invitations import views as invitations_views
    from community.rounds import views as rounds_views

    app.register_blueprint(rounds_views.bp)
    app.register_blueprint(invitations_views.bp)
    app.register_blueprint(unsubscribe_views.bp)
    app.register_blueprint(connections_views.bp)
    app.register_blueprint(changes_views.bp)


def register_organize_blueprints(app: Flask) -> None:
    """Organizers' pages under /organize and admins' under /admin, each checking the role."""
    from community.organize import dashboard as organize

    for blueprint in organize.blueprints():
        app.register_blueprint(blueprint)


def register_errorhandlers(app: Flask) -> None:
    from community.web import errors, security_headers

    errors.register(app)
    security_headers.register(app)


def register_commands(app: Flask) -> None:
    from community.cli import register

    register(app)
