# The ERT Chat Service README (seeds/000_c97f11623d9f9f63.txt): its tutorial snippets, copied
# unchanged but for the URL, put together into the service they describe. Each snippet is
# marked with its README section; the few lines between them are the glue the README leaves to
# the reader (the settings the snippets name, and the handle_payload they call). The tests set
# `uri` to the test server.
import asyncio
import json
import sys

import websockets

# Default to localhost if no cmdline argument is provided (as chat_service.py does)
uri = sys.argv[1] if __name__ == "__main__" and len(sys.argv) >= 2 else "ws://localhost:64209/ws"

# The settings the snippets use.
name = "chat_service"
nickname = "Chat Service Client"
version = "0.2.0"
service_name = "chat_service"
service_nickname = "Chat Service"
uuid = None
server_version = None


async def main():
    global uuid, server_version
    # README "Connection"
    async with websockets.connect(uri, subprotocols="ert-concierge") as socket:
        # README "Identification"
        await socket.send(json.dumps({
            "type": "IDENTIFY",
            "name": name,
            "nickname": nickname,
            "version": version,
            "tags": ["service", "chat"]
        }))

        hello = json.loads(await socket.recv())
        uuid = hello["uuid"]
        server_version = hello["version"]
        print(f"My uuid is {uuid}. The server version is {server_version}.")

        # README "Service Creation"
        await socket.send(json.dumps({
            "type": "SERVICE_CREATE",
            "service": service_name,
            "nickname": service_nickname
        }))

        await socket.send(json.dumps({
            "type": "SELF_SUBSCRIBE",
            "service": service_name
        }))

        # README "Receiving Messages"
        async for msg in socket:
            payload = json.loads(msg)
            try:
                await handle_payload(payload, socket)
            except Exception as e:
                print("Uncaught exception", e)


async def handle_payload(payload, socket):
    # Glue: a MESSAGE through our service carries an INPUT {text} in its data.
    if payload.get("type") != "MESSAGE" or not payload["origin"].get("service"):
        return
    if payload["origin"]["service"]["name"] != service_name:
        return
    msg_data = payload["data"]
    output_name = payload["origin"]["nickname"] or payload["origin"]["name"]
    if msg_data["text"] == "/about":
        # README "Sending Messages", to one client
        await socket.send(json.dumps({
            "type": "MESSAGE",
            "target": {
                "type": "SERVICE_CLIENT_UUID",
                "service": service_name,
                "uuid": payload["origin"]["uuid"]
            },
            "data": {
                "type": "TEXT",
                "author": "System Message",
                "author_uuid": "0",
                "text": "(Only you can see this!)\nERT Chat Service\nVersion: 0.1"
            }
        }))
    else:
        # README "Sending Messages", to every subscriber
        await socket.send(json.dumps({
            "type": "MESSAGE",
            "target": {
                "type": "SERVICE",
                "service": service_name
            },
            "data": {
                "type": "TEXT",
                "author": output_name,
                "author_uuid": payload["origin"]["uuid"],
                "text": msg_data["text"]
            }
        }))


if __name__ == "__main__":
    asyncio.run(main())
