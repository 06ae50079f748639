"""An admin's private chat with the bot, driven through the local Bot API."""

from __future__ import annotations

from dataclasses import dataclass, field

from diana_devtools.localapi import BotApiUser, BotMessage, Sent


@dataclass
class AdminChat:
    """Send text, press buttons, and wait for what the bot shows next."""

    user: BotApiUser
    user_id: int
    # The admin's newest update, for redelivering it.
    last_sent: Sent | None = field(default=None, init=False)

    async def send(self, text: str) -> BotMessage:
        """Send text and return the bot's next message (new or edited) in this chat."""
        sent = await self.send_only(text)
        return await self.user.wait_bot_message(self.user_id, after=sent.seq)

    async def send_only(self, text: str) -> Sent:
        self.last_sent = await self.user.send_text(self.user_id, text)
        return self.last_sent

    async def forward_channel(self, channel_id: int, title: str) -> BotMessage:
        sent = await self.user.forward_from_channel(self.user_id, channel_id, title)
        self.last_sent = sent
        return await self.user.wait_bot_message(self.user_id, after=sent.seq)

    async def redeliver_last(self) -> None:
        """Telegram delivers the admin's newest update again; until the bot took it."""
        assert self.last_sent is not None
        again = await self.user.redeliver(self.last_sent.update_id)
        await self.user.wait_confirmed(again)

    async def press(self, message: BotMessage, label: str) -> BotMessage:
        """Press the button ``label`` of ``message``; return the bot's next message."""
        sent = await self.press_only(message, label)
        return await self.user.wait_bot_message(self.user_id, after=sent.seq)

    async def press_only(self, message: BotMessage, label: str) -> Sent:
        button = message.button(label)
        assert button.callback_data is not None
        self.last_sent = await self.user.press(
            self.user_id, message.message_id, button.callback_data
        )
        return self.last_sent

    async def press_for_answer(self, message: BotMessage, label: str) -> str | None:
        """Press a button and return the text of the bot's callback answer."""
        sent = await self.press_only(message, label)
        assert sent.callback_query_id is not None
        answer = await self.user.wait_callback_answer(sent.callback_query_id)
        return answer.text

    async def last(self) -> BotMessage:
        message = await self.user.last_message(self.user_id)
        assert message is not None
        return message
