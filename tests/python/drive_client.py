"""Drives a real Taichu through the generated Python client (clients/python)
only, the way a user's script would: log in, refresh, register a machine,
import a cluster, read its nodes, back up its resources, lose objects,
restore them, follow the restore, read the audit log.

Run by tests/tests/e2e/client.rs, which starts the real servers and passes:
TAICHU_URL, TAICHU_ADMIN_PASSWORD, SSH_IP, SSH_PORT, SSH_USER, SSH_PASSWORD,
KUBECONFIG_PATH (the test API server's), LOSE (JSON: API paths of objects
to delete and expect back). Prints one JSON line of what it saw; any
surprise raises.
"""

import base64
import json
import os
import ssl
import tempfile
import time

import httpx
import yaml

from taichu_client import AuthenticatedClient, Client
from taichu_client.api.audit import list_audit_logs
from taichu_client.api.auth import get_profile, login, refresh_token
from taichu_client.api.backups import create_backup, get_backup, get_restore, restore_backup
from taichu_client.api.clusters import get_import_status, import_cluster, list_nodes
from taichu_client.api.machines import create_machine, get_machine
from taichu_client.models import (
    CreateBackupRequest,
    CreateMachineRequest,
    ErrorEnvelope,
    ImportClusterRequest,
    LoginRequest,
    RefreshRequest,
    RestoreRequest,
)

URL = os.environ["TAICHU_URL"] + "/api/v1"
DEADLINE = 120


def data(reply):
    """The envelope's data, or a clear failure naming the API's message."""
    if reply is None or isinstance(reply, ErrorEnvelope):
        raise AssertionError(f"the API refused: {reply}")
    assert reply.code == 0, reply
    return reply.data


def until(what, read, done):
    """Polls `read()` until `done(value)`; returns the value."""
    end = time.monotonic() + DEADLINE
    while True:
        value = read()
        if done(value):
            return value
        if time.monotonic() > end:
            raise AssertionError(f"{what} did not finish: {value}")
        time.sleep(0.2)


def ended(view):
    return view.status in ("completed", "failed", "cancelled", "completed_with_errors")


def kube(kubeconfig_text):
    """An HTTP client for the test API server, from its kubeconfig."""
    config = yaml.safe_load(kubeconfig_text)
    cluster = config["clusters"][0]["cluster"]
    token = config["users"][0]["user"]["token"]
    ca = tempfile.NamedTemporaryFile("wb", suffix=".crt", delete=False)
    ca.write(base64.b64decode(cluster["certificate-authority-data"]))
    ca.close()
    context = ssl.create_default_context(cafile=ca.name)
    return httpx.Client(base_url=cluster["server"], verify=context, headers={"Authorization": f"Bearer {token}"})


def main():
    seen = {}
    anonymous = Client(base_url=URL)
    tokens = data(login.sync(client=anonymous, body=LoginRequest(username="admin", password=os.environ["TAICHU_ADMIN_PASSWORD"])))
    refreshed = data(refresh_token.sync(client=anonymous, body=RefreshRequest(refresh_token=tokens.refresh_token)))
    assert refreshed.token != tokens.token
    api = AuthenticatedClient(base_url=URL, token=refreshed.token)
    assert data(get_profile.sync(client=api)).username == "admin"

    machine = data(
        create_machine.sync(
            client=api,
            body=CreateMachineRequest(
                name="client-host",
                ip=os.environ["SSH_IP"],
                port=int(os.environ["SSH_PORT"]),
                username=os.environ["SSH_USER"],
                password=os.environ["SSH_PASSWORD"],
                role="worker",
            ),
        )
    )
    checked = until("the machine check", lambda: data(get_machine.sync(machine.id, client=api)), lambda m: m.status in ("ready", "unreachable"))
    assert checked.status == "ready", checked
    seen["machine_os"] = checked.os

    kubeconfig = open(os.environ["KUBECONFIG_PATH"]).read()
    started = data(import_cluster.sync(client=api, body=ImportClusterRequest(name="from-python", kubeconfig=base64.b64encode(kubeconfig.encode()).decode())))
    imported = until("the import", lambda: data(get_import_status.sync(started.id, client=api)), ended)
    assert imported.status == "completed", imported
    cluster = imported.cluster_id
    nodes = data(list_nodes.sync(cluster, client=api))
    seen["nodes"] = [n.name for n in nodes.nodes]

    backup = data(create_backup.sync(cluster, client=api, body=CreateBackupRequest(backup_name="before", backup_type="resources")))
    backup = until("the backup", lambda: data(get_backup.sync(cluster, backup.id, client=api)), ended)
    assert backup.status == "completed", backup
    seen["objects_backed_up"] = backup.total_objects

    lose = json.loads(os.environ["LOSE"])
    server = kube(kubeconfig)
    before = {path: server.get(path).json() for path in lose}
    for path in lose:
        assert server.delete(path).status_code == 200, path
        assert server.get(path).status_code == 404, path

    restore = data(restore_backup.sync(cluster, backup.id, client=api, body=RestoreRequest(restore_name="after")))
    restore = until("the restore", lambda: data(get_restore.sync(cluster, backup.id, restore.id, client=api)), ended)
    assert restore.status == "completed", restore
    assert restore.objects_failed == 0, restore
    for path in lose:
        back = server.get(path)
        assert back.status_code == 200, f"{path} is not back"
        assert back.json().get("data") == before[path].get("data"), path
    seen["objects_restored"] = restore.objects_applied

    audit = data(list_audit_logs.sync(client=api, limit=100))
    actions = {row.action for row in audit.audit_logs}
    seen["audit_actions"] = sorted(actions)
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
