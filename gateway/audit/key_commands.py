"""``gateway keys …``: demo keys for development, and key rotation for any deployment.

* ``gateway keys init`` creates the demo keys a developer needs (every
  registered agency's pair, the gateway's token key, the checkpoint, pseudonym
  and sealing keys), each marked as a demo key; refused in production, where
  keys are provisioned (``deploy/make_secrets.py``).
* ``gateway keys rotate checkpoint`` hands the log to a new checkpoint key
  through a rotation leaf the old key signs (:meth:`Checkpointer.rotate`), then
  replaces the key file. The new key is first written beside the old one
  (``<file>.next``), so an interrupted rotation is finished by running the
  command again.
* ``gateway keys rotate sealing|pseudonym`` retires the audit key (kept in
  ``GATEWAY_RETIRED_KEYS_DIR`` so older leaves stay readable), puts a new one in
  place and records the change in a ``key_rotation`` leaf (key ids only).

Running gateways hold their keys in memory: restart them after a rotation (a
gateway still holding a retired checkpoint key stops publishing checkpoints).
"""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console

from gateway.audit.checkpoints import Checkpointer, CheckpointKeyError
from gateway.audit.errors import AuditVerificationError
from gateway.audit.log import DecisionLog
from gateway.audit.logkey import ensure_log_key_file, log_signer_from_file, write_log_key
from gateway.audit.provisioning import audit_keys, key_store
from gateway.audit.record import key_rotation_record
from gateway.audit.sealing import rotate_key_file
from gateway.audit.signer import generate_signer
from gateway.auth.keys import GATEWAY_KEY_NAME
from gateway.auth.registry import Registry
from gateway.clock import SystemClock
from gateway.settings import Settings, UnsafeSettingError

keys_app = typer.Typer(
    no_args_is_help=True, help="Demo keys for development; key rotation for any deployment."
)
_err = Console(stderr=True)


class KeyRole(StrEnum):
    checkpoint = "checkpoint"
    sealing = "sealing"
    pseudonym = "pseudonym"


@keys_app.command("init")
def keys_init() -> None:
    """Create demo keys: every registered agency's pair, the gateway's and the audit keys."""
    settings = Settings()
    if settings.environment == "production":
        raise UnsafeSettingError(
            "`gateway keys init` makes demo keys, which production refuses; provision keys"
            " (deploy/make_secrets.py)"
        )
    store = key_store(settings)
    registry = Registry.load(settings.policy_dir)
    created = [i for i in [GATEWAY_KEY_NAME, *sorted(registry.agencies)] if store.ensure(i)]
    _err.print(f"keys: {len(created)} created, {len(registry.agencies) + 1 - len(created)} kept")
    if ensure_log_key_file(settings.checkpoint_key_path, settings.log_origin):
        _err.print(f"keys: created the decision log's checkpoint key ({settings.log_origin})")
    audit_keys(settings)


@keys_app.command("rotate")
def keys_rotate(
    role: Annotated[KeyRole, typer.Argument(help="Which key: checkpoint, sealing or pseudonym.")],
) -> None:
    """Replace a key; the log records the change and everything before stays verifiable."""
    from gateway.db import make_engine, migrate

    settings = Settings()
    settings.check_production()
    demo = settings.environment != "production"
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    log = DecisionLog(engine)
    now = SystemClock().now()
    try:
        if role is KeyRole.checkpoint:
            _rotate_checkpoint(settings, log, demo=demo)
            return
        path = settings.sealing_key_path if role is KeyRole.sealing else settings.pseudonym_key_path
        old_id, new_id = rotate_key_file(path, settings.retired_keys_path, role.value, demo=demo)
        index = log.append(
            "key_rotation",
            key_rotation_record(at=now, key_role=role.value, old_key_id=old_id, new_key_id=new_id),
            at=now,
        )
        typer.echo(
            f"rotated the {role.value} key: {old_id} -> {new_id} (leaf {index}); the old key"
            f" stays in {settings.retired_keys_path} to read older leaves. Restart the gateways."
        )
    except AuditVerificationError as exc:
        _err.print(f"gateway: the {role.value} key was not rotated: {exc}", markup=False)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()


def _rotate_checkpoint(settings: Settings, log: DecisionLog, *, demo: bool) -> None:
    path = settings.checkpoint_key_path
    pending = path.with_name(path.name + ".next")
    old = log_signer_from_file(path, settings.log_origin)
    if pending.exists():  # an interrupted rotation: finish it with the same new key
        new = log_signer_from_file(pending, settings.log_origin)
    else:
        new = generate_signer(settings.log_origin)
        write_log_key(pending, new, demo=demo)
    now = SystemClock().now()
    try:
        index, first = Checkpointer(log, old).rotate(new, now)
    except CheckpointKeyError:
        # The old key is retired already: only the file replacement may be missing.
        first = Checkpointer(log, new).publish(now)
        index = -1
    os.replace(pending, path)
    where = f"leaf {index}" if index >= 0 else "recorded before"
    typer.echo(
        f"rotated the checkpoint key ({where}): checkpoints from size {first.size} on are"
        f" signed by {new.verifier_key_text()}. Restart the gateways."
    )
