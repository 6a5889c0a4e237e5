"""Extension instances, bound to the app in create_app().

Flask-AppBuilder keeps per-app state (views, menus, security manager) in its instance,
so create_app() makes a new AppBuilder for every app; reach it as current_app.appbuilder.
"""

from flask_appbuilder.utils.legacy import get_sqla_class
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

db = get_sqla_class()()
csrf = CSRFProtect()
migrate = Migrate()
