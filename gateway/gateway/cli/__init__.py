"""`python -m gateway.cli`: dev tokens and partner API keys.

mint-token --role officer --provider P-1 --region 330102 [--sub S] [--ttl 3600]
dev-tokens                       one token per people role (what `make run` prints)
partner-key create --partner-id H-330102-01 --name "Shangcheng hospital" [--region 330102]
partner-key list
partner-key revoke pk_...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from chassis.db import create_engine
from chassis.principal import Role
from gateway.auth import dev_issuer
from gateway.auth.partner_keys import PartnerKeyStore, SecretSealer
from gateway.settings import GatewaySettings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gateway.cli", description="HomeBed gateway")
    commands = parser.add_subparsers(dest="command", required=True)

    mint = commands.add_parser("mint-token", help="mint a dev people token")
    mint.add_argument("--role", required=True, choices=[role.value for role in Role])
    mint.add_argument("--sub", help="subject (default: dev-<role>)")
    mint.add_argument("--provider", dest="provider_id")
    mint.add_argument("--region", dest="regions", action="append", default=[])
    mint.add_argument("--scope", dest="scopes", action="append", default=[])
    mint.add_argument("--ttl", type=int, default=3600, help="seconds (default 3600)")

    tokens = commands.add_parser("dev-tokens", help="one dev token per people role")
    tokens.add_argument("--json", action="store_true", help="a JSON object instead of lines")

    keys = commands.add_parser("partner-key", help="partner hospital API keys")
    key_commands = keys.add_subparsers(dest="key_command", required=True)
    create = key_commands.add_parser("create")
    create.add_argument("--partner-id", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--region", dest="regions", action="append", default=[])
    key_commands.add_parser("list")
    revoke = key_commands.add_parser("revoke")
    revoke.add_argument("key_id")
    return parser


def _dev_issuer(settings: GatewaySettings) -> dev_issuer.DevIssuer:
    if settings.env == "prod":
        raise SystemExit("the dev issuer is refused in production")
    return dev_issuer.load_or_create(settings.dev_issuer_dir)


def _mint(args: argparse.Namespace, settings: GatewaySettings) -> int:
    issuer = _dev_issuer(settings)
    token = issuer.mint(
        sub=args.sub or f"dev-{args.role}",
        role=Role(args.role),
        provider_id=args.provider_id,
        region_codes=args.regions,
        scopes=args.scopes,
        audience=settings.jwt_audience,
        ttl_seconds=args.ttl,
    )
    print(token)
    return 0


def _dev_tokens(args: argparse.Namespace, settings: GatewaySettings) -> int:
    tokens = _dev_issuer(settings).mint_per_role(audience=settings.jwt_audience)
    if args.json:
        print(json.dumps({role.value: token for role, token in tokens.items()}, indent=2))
    else:
        for role, token in tokens.items():
            print(f"{role.value.upper()}_TOKEN={token}")
    return 0


def open_store(settings: GatewaySettings) -> PartnerKeyStore:
    if settings.database_url.startswith("sqlite") and ":///" in settings.database_url:
        Path(settings.database_url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    sealer = SecretSealer.from_setting(settings.partner_key_encryption_key.get_secret_value())
    return PartnerKeyStore(create_engine(settings.database_url), sealer)


async def _partner_key(args: argparse.Namespace, settings: GatewaySettings) -> int:
    store = open_store(settings)
    try:
        await store.create_schema()
        if args.key_command == "create":
            created = await store.create(
                partner_id=args.partner_id, name=args.name, region_codes=tuple(args.regions)
            )
            print(f"key_id={created.info.key_id}")
            print(f"secret={created.secret}")
            print("The secret is shown once: hand it to the partner over a secure channel.")
        elif args.key_command == "list":
            for info in await store.list():
                state = "revoked " + info.revoked_at.isoformat() if info.revoked_at else "active"
                regions = ",".join(info.region_codes) or "-"
                print(
                    f"{info.key_id}\t{info.partner_id}\t{info.name}\t{regions}\t"
                    f"{info.fingerprint}\t{info.created_at.isoformat()}\t{state}"
                )
        elif not await store.revoke(args.key_id):
            print(f"no active key {args.key_id}", file=sys.stderr)
            return 1
        else:
            print(f"revoked {args.key_id}")
        return 0
    finally:
        await store.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = GatewaySettings()
    if args.command == "mint-token":
        return _mint(args, settings)
    if args.command == "dev-tokens":
        return _dev_tokens(args, settings)
    return asyncio.run(_partner_key(args, settings))
