"""The aiogram-durable README's quick start, run as written: a bot process in a folder
of its own, a two-step flow, ``kill -9`` between the steps, a restart, the flow goes on.

The code block is taken from the README verbatim. Only the Bot API endpoint differs:
a ``sitecustomize`` module (on the process's PYTHONPATH, not in the code) points
aiogram's default server at the local Bot API, as a DNS override would.
"""

from __future__ import annotations

import re
from pathlib import Path

from diana_devtools.localapi import BotApiUser, LocalBotApi
from tests.support.botproc import ROOT, TOKEN, BotProcess, bot_env

README = ROOT / "packages" / "aiogram-durable" / "README.md"
USER = 1001

_SITECUSTOMIZE = """
import os

from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer

_local = TelegramAPIServer.from_base(os.environ["TEST_BOT_API"])
BaseSession.__init__.__defaults__ = tuple(
    _local if value is PRODUCTION else value for value in BaseSession.__init__.__defaults__
)
"""


def quickstart_code() -> str:
    """The first Python block of the README."""
    match = re.search(r"```python\n(.*?)```", README.read_text(), re.DOTALL)
    assert match is not None, "the README has no Python quick start"
    return match.group(1)


async def test_the_readme_quickstart_survives_a_kill_between_steps(
    api: LocalBotApi, user: BotApiUser, tmp_path: Path
) -> None:
    folder = tmp_path / "mybot"
    folder.mkdir()
    (folder / "bot.py").write_text(quickstart_code())
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(_SITECUSTOMIZE)
    env = bot_env(api.base_url, "unused")
    env.update({"BOT_TOKEN": TOKEN, "TEST_BOT_API": api.base_url, "PYTHONPATH": str(hooks)})
    proc = BotProcess(env, tmp_path / "bot.log", args=(), program=("bot.py",), cwd=folder)
    await proc.start(user)
    try:
        sent = await user.send_text(USER, "/start")
        assert (await user.wait_bot_message(USER, after=sent.seq)).text == "What is your name?"
        sent = await user.send_text(USER, "Alice")
        assert (await user.wait_bot_message(USER, after=sent.seq)).text == "How old are you?"
        await proc.restart(user)  # kill -9, then start again
        sent = await user.send_text(USER, "30")
        done = await user.wait_bot_message(USER, after=sent.seq)
        assert done.text == "Alice, 30: signed up."
        assert (folder / "bot.db").exists()
    finally:
        if proc.proc is not None:
            await proc.terminate()
