"""The Flask extensions, created once and bound to each app with ``init_app`` in the factory."""
from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# In-memory counters: each web process counts on its own, which is what a login throttle
# needs (it slows guessing down; it is not a quota). ``init_app`` gives every app fresh storage.
limiter = Limiter(key_func=get_remote_address, storage_uri="memory://")
