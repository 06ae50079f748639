"""The sandbox: try the whole admin panel in a browser, without Telegram.

How to use::

    diana-sandbox                     # then open http://127.0.0.1:8765/
    diana-sandbox --db try.db         # keep the data in ./try.db between runs

One process runs the local Bot API server, the bot and a chat page. No bot token
and no network are needed: the bot gets a fixed fake token and talks to the local
API, and you are its admin (user 1).

The sandbox never touches a real deployment: it always uses its own SQLite file
and SQL sessions, and ignores DATABASE_URL, SESSION_BACKEND and REDIS_URL (from the
environment and from .env) - its first line says so. Started in a production
folder it would otherwise migrate the production database, sweep real sessions and
make user 1 an admin of real data. The file is ``--db PATH`` if given (created if
missing, kept), else ``sandbox.db`` in a fresh temporary directory deleted on exit:
by default every run starts empty and leaves nothing behind. Sessions are swept
every 5 seconds, so SESSION_TTL_SECONDS=60 shows expiry quickly. Ctrl+C stops
everything.

The page answers only to ``http://127.0.0.1:<port>`` and ``http://localhost:<port>``
(exact Host check, against DNS rebinding) and takes JSON POSTs from its own origin
only, so another web site open in the same browser cannot drive it.

On the page:

* type text or commands (/admin, /cancel; the bot's command list is offered as
  chips) and press Enter or ➤;
* press the inline buttons under the bot's messages; edits replace the message in
  place, callback answers show as toasts, ``show_alert`` answers as a dialog;
* ↪ "forward from a channel": give a channel id (negative, e.g. -1001234567890) and
  title to register a channel (➕ Añadir Canales); untick "bot is admin" to see the
  bot's warning;
* "Act as non-admin" switches to user 2, whom the admin gate refuses;
* "Restart bot" stops the bot and starts a new one on the same database: start a
  flow, restart, and carry on where you were. Messages sent while it restarts wait
  (one tick ✓) until the new bot takes them (✓✓).

In code (tests): ``sandbox = Sandbox(port=0, db_path=...)``, ``await
sandbox.start()``, open ``sandbox.url``, ``await sandbox.restart_bot()``,
``await sandbox.stop()``. ``run_sandbox()`` is the CLI's entry point.

The page lives in ``static/`` (plain JavaScript, no build step, no CDN). It never
inserts the bot's HTML: it builds DOM nodes from the message's entities.
"""

from diana_devtools.sandbox.server import (
    ADMIN_ID,
    DB_FILE_NAME,
    DEFAULT_HOST,
    DEFAULT_PORT,
    GUEST_ID,
    IGNORED_SETTINGS,
    SANDBOX_TOKEN,
    Sandbox,
    SandboxError,
    database_notice,
    describe_database,
    message_json,
    run_sandbox,
    sandbox_settings,
    sqlite_url,
)

__all__ = [
    "ADMIN_ID",
    "DB_FILE_NAME",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "GUEST_ID",
    "IGNORED_SETTINGS",
    "SANDBOX_TOKEN",
    "Sandbox",
    "SandboxError",
    "database_notice",
    "describe_database",
    "message_json",
    "run_sandbox",
    "sandbox_settings",
    "sqlite_url",
]
