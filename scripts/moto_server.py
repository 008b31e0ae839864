"""Run moto's server on 127.0.0.1 with four deviations from AWS fixed.

Usage: python3 scripts/moto_server.py PORT [--exit-on-stdin-eof]

moto keeps a per-secret "default version" that answers GetSecretValue calls without
VersionStage/VersionId. Real Secrets Manager answers those with AWSCURRENT, but moto's
update_secret_version_stage moves the AWSCURRENT label without moving the default version, so after
a rotation such a call still returns the old password. We wrap that method so the default version
follows AWSCURRENT.

moto also lets a PutSecretValue overwrite the value of an existing version that holds AWSPENDING.
Real Secrets Manager never changes a version's value: a second PutSecretValue with the same
ClientRequestToken and another value fails with ResourceExistsException, which is what lets
rotations that share a token converge. We refuse it the same way.

moto's UpdateSecretVersionStage moves any label but AWSCURRENT onto a version without checking
RemoveFromVersionId, leaving two versions with one label. AWS refuses the move while the label is
attached to another version than RemoveFromVersionId names: a compare-and-swap that credstage's
createSecret relies on to claim AWSPENDING. We refuse it the same way (and moving a label to the
version that already holds it changes nothing, instead of listing the label twice).

moto's ListSecretVersionIds reports every version's CreatedDate as the time of the call (so a
scheduler that plans from it would never find a secret due) and answers an unknown secret with
HTTP 500. We return each version's stored creation time and ResourceNotFoundException, as AWS does.

Checked against moto 5.2.1 (moto/secretsmanager/models.py).

With --exit-on-stdin-eof the server exits when its stdin closes: the Node launcher keeps a pipe open,
so the server dies with it even if Node is killed with SIGKILL.
"""

import os
import sys
import threading

try:
    import json

    from moto.secretsmanager.exceptions import InvalidParameterException, ResourceExistsException, SecretNotFoundException
    from moto.secretsmanager.models import SecretsManagerBackend
    from moto.server import main as moto_main
except ImportError as err:
    print(f"moto_server.py: cannot import moto's server ({err}): pip install 'moto[server]'", file=sys.stderr)
    sys.exit(3)

_update_secret_version_stage = SecretsManagerBackend.update_secret_version_stage


def update_secret_version_stage(self, secret_id, version_stage, remove_from_version_id, move_to_version_id):
    secret = self.secrets[secret_id] if self._is_valid_identifier(secret_id) else None
    if secret is not None and move_to_version_id:
        versions = getattr(secret, "source", secret).versions
        holder = next((v for v, data in versions.items() if version_stage in data["version_stages"]), None)
        if holder is not None and holder != move_to_version_id and holder != remove_from_version_id:
            raise InvalidParameterException(
                f"The parameter RemoveFromVersionId can't be empty. Staging label {version_stage} is currently "
                f"attached to version {holder}, so you must explicitly reference that version in RemoveFromVersionId."
            )
        if holder == move_to_version_id and not remove_from_version_id:
            return secret.arn, secret.name  # already there: AWS changes nothing
    result = _update_secret_version_stage(
        self,
        secret_id=secret_id,
        version_stage=version_stage,
        remove_from_version_id=remove_from_version_id,
        move_to_version_id=move_to_version_id,
    )
    if version_stage == "AWSCURRENT" and move_to_version_id:
        secret = self.secrets[secret_id]
        # A replica reads its versions (and default version) from its primary ("source").
        getattr(secret, "source", secret).set_default_version_id(move_to_version_id)
    return result


SecretsManagerBackend.update_secret_version_stage = update_secret_version_stage

_put_secret_value = SecretsManagerBackend.put_secret_value


def put_secret_value(self, secret_id, secret_string, secret_binary, client_request_token, version_stages):
    secret = self.secrets[secret_id] if self._is_valid_identifier(secret_id) else None
    version = getattr(secret, "versions", {}).get(client_request_token) if secret is not None else None
    has_value = version is not None and ("secret_string" in version or "secret_binary" in version)
    if has_value and (version.get("secret_string") != secret_string or version.get("secret_binary") != secret_binary):
        raise ResourceExistsException(
            f"You can't use ClientRequestToken {client_request_token} because that value is already in use for a version of secret {secret.arn}."
        )
    return _put_secret_value(
        self,
        secret_id=secret_id,
        secret_string=secret_string,
        secret_binary=secret_binary,
        client_request_token=client_request_token,
        version_stages=version_stages,
    )


SecretsManagerBackend.put_secret_value = put_secret_value

_list_secret_version_ids = SecretsManagerBackend.list_secret_version_ids


def list_secret_version_ids(self, secret_id):
    if not self._is_valid_identifier(secret_id):
        raise SecretNotFoundException()
    listed = json.loads(_list_secret_version_ids(self, secret_id))
    versions = self.secrets[secret_id].versions
    for version in listed["Versions"]:
        created = versions.get(version["VersionId"], {}).get("createdate")
        if created is not None:
            version["CreatedDate"] = created
    return json.dumps(listed)


SecretsManagerBackend.list_secret_version_ids = list_secret_version_ids


def exit_on_stdin_eof():
    while sys.stdin.buffer.read(4096):
        pass
    os._exit(0)


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--exit-on-stdin-eof" in args:
        args.remove("--exit-on-stdin-eof")
        threading.Thread(target=exit_on_stdin_eof, daemon=True).start()
    if len(args) != 1 or not args[0].isdigit():
        print("usage: moto_server.py PORT [--exit-on-stdin-eof]", file=sys.stderr)
        sys.exit(2)
    moto_main(["--host", "127.0.0.1", "--port", args[0]])
