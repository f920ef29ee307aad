# The Hub README's Python client (seeds/001_aa7b25abb0030e02.txt), copied unchanged but for the
# URL: `connect` from "Receiving a chat message", `recv` from "Get notified", `manage_presence`
# from "Get notified when a user starts or stops typing". The tests set URL to the test server.
import json
import websockets
import asyncio

URL = "ws://localhost:4000/socket/websocket"

online_users = []

# ...


async def connect():
    connection = await websockets.connect(URL)
    data = {
        "topic": f"room:lobby",
        "event": "phx_join",
        "payload": {"username": "robin"},
        "ref": None,
    }
    await connection.send(json.dumps(data))
    return connection


async def recv(connection):
    response = await connection.recv()
    print(f"< connected")

    async for message_data in connection:
        message = json.loads(message_data)
        if message["event"] == "shout":
            name = message["payload"]["name"]
            body = message["payload"]["body"]
            print(f"< {name} says : {body}")
        elif message["event"] == "presence_diff":
            manage_presence(message)
        elif message["event"] == "presence_state":
            online_users.extend(list(message["payload"].keys()))


def manage_presence(message):
    join_info_keys = list(message["payload"]["joins"].keys())
    leave_info_keys = list(message["payload"]["leaves"].keys())

    user_joined = True if join_info_keys else False

    if user_joined:
        username = join_info_keys[0]
        if join_info_keys[0] in online_users: # user is already in the online user list
            typing = message["payload"]["joins"][username]["metas"][0]["typing"]
            typing_message = "is" if typing else "has stopped"
            print(f"{username} {typing_message} typing")
        else: # user is not in the list -> just connected
            online_users.append(join_info_keys[0])
            print(f"{username} has joined")
            print(f"Online users: {online_users}")
    else:
        username = leave_info_keys[0]
        online_users.remove(username)
        print(f"{username} has left")


if __name__ == "__main__":
    loop = asyncio.get_event_loop()
    connection = loop.run_until_complete(connect())
    asyncio.ensure_future(recv(connection))
    loop.run_forever()
