"""Diana Bot's development tools, kept out of the runtime package ``diana_bot``.

* `diana_devtools.localapi`: a local Telegram Bot API server (the end-to-end tests
  and the sandbox run the real bot against it over HTTP);
* `diana_devtools.sandbox`: ``diana-sandbox``, the admin panel in a browser: the
  local API, the bot and a chat page in one process.
"""
