"""The ERT Concierge client for the end-to-end tests: a WsClient (ws_client.py) that offers the
"ert-concierge" subprotocol, identifies, and waits for payloads by type."""

from ws_client import WsClient


class Client(WsClient):
    """A Concierge client: send payloads (dicts), wait for the ones it received."""

    @classmethod
    async def open(cls, url, subprotocols=("ert-concierge",)):
        return await super().open(url, subprotocols=list(subprotocols))

    @classmethod
    async def identified(cls, url, name, nickname=None, tags=None, secret=None):
        c = await cls.open(url)
        payload = {"type": "IDENTIFY", "name": name, "version": "0.2.0"}
        if nickname is not None:
            payload["nickname"] = nickname
        if tags is not None:
            payload["tags"] = tags
        if secret is not None:
            payload["secret"] = secret
        await c.send(payload)
        hello = await c.next("HELLO")
        c.uuid = hello["uuid"]
        c.name = name
        return c

    async def next(self, type_=None, pred=None, what=None):
        """The next payload not yet returned (of `type_`, matching `pred`); earlier ones that
        do not match are skipped."""
        return await super().next(
            lambda f: (type_ is None or f.get("type") == type_) and (pred is None or pred(f)),
            what or type_ or "a payload")
