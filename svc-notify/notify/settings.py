"""Settings of svc-notify (env prefix HOMEBED_NOTIFY_); PII keys and channel secrets fail fast in
production (anything marked dev-only is refused by ServiceSettings)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from chassis.settings import ServiceSettings
from notify.channels.webhook_guard import WebhookGuard
from notify.crypto import FieldCipher, parse_keyring, to_key_bytes
from notify.domain.webhook_targets import AllowList

DEV_PII_KEYS = "k0:dev-only-notify-pii-encryption-key"
DEV_BLIND_INDEX_KEY = "dev-only-notify-blind-index-key"
DEV_SMS_GATEWAY_KEY = "dev-only-sms-gateway-key"
DEV_SMS_INBOUND_SECRET = "dev-only-sms-inbound-secret"  # noqa: S105 - refused in prod


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="HOMEBED_NOTIFY_", extra="ignore")

    service_name: str = "svc-notify"
    # a pooled connection is replaced when the server closed its socket, without a query per
    # transaction (three round trips each: the consumer's transactions are a fall's path)
    database_ping: Literal["query", "socket"] = "socket"
    # notify publishes no events: its outbox stays empty, its relay need not look often
    outbox_poll_seconds: float = Field(default=30.0, gt=0)
    # which part of notify this process runs. all: everything (make run on SQLite, tests);
    # api: the routes, the open streams and the Kafka consumer (a fall's path to the phone);
    # worker: the dispatcher (SMS, voice, webhooks, digests, retries) and the repeat sweep, at a
    # lower CPU priority, so that neither can hold the fall's event loop (README, "Processes")
    role: Literal["all", "api", "worker"] = "all"
    # on PostgreSQL: LISTEN/NOTIFY between processes and instances (notify/signals.py); the
    # polls below stay the fallback
    listen_notify: bool = True
    # the Kafka consumer group (tests give each run its own); default: the service name
    consumer_group: str | None = None
    database_url: str = "sqlite+aiosqlite:///var/svc-notify.db"
    # phones at rest: "kid:base64url(32 bytes)[,kid:...]"; the active id encrypts
    pii_keys: SecretStr = SecretStr(DEV_PII_KEYS)
    pii_active_key_id: str = "k0"
    blind_index_key: SecretStr = SecretStr(DEV_BLIND_INDEX_KEY)
    # the SMS/voice provider adapter: the stub of `make run` (notify.sms_stub) by default
    sms_gateway_url: str = Field(default="http://127.0.0.1:8016", pattern=r"^https?://")
    sms_gateway_key: SecretStr = SecretStr(DEV_SMS_GATEWAY_KEY)
    sms_gateway_timeout_seconds: float = Field(default=3.0, gt=0)
    # the provider signs the replies it forwards (Standard Webhooks) with this secret
    sms_inbound_secret: SecretStr = SecretStr(DEV_SMS_INBOUND_SECRET)
    webhook_timeout_seconds: float = Field(default=3.0, gt=0)
    # webhooks reach public https addresses only (SSRF); these hosts and networks are allowed
    # although they are not public: comma-separated names, addresses or CIDRs (make run's and
    # the tests' local receiver: "127.0.0.1,localhost"). http is accepted in dev only.
    webhook_allowed_hosts: str = Field(default="", max_length=2000)
    # acknowledging an alarm from an SMS reply: iot-ingest's internal route
    iot_ingest_url: str = Field(default="http://127.0.0.1:8003", pattern=r"^https?://")
    # the dispatcher: how often it looks for due deliveries when nothing woke it
    # off in tests that drive the dispatcher themselves (Dispatcher.dispatch_due)
    background_dispatch: bool = True
    dispatch_poll_seconds: float = Field(default=0.5, gt=0)
    dispatch_batch_size: int = Field(default=50, ge=1, le=1000)
    # a fall's or SOS's in-app messages are written to the inbox in the consumer's own
    # transaction (no wait for the dispatcher); off: the dispatcher sends them like the rest
    instant_in_app: bool = True
    # who is on call, per provider and role, is kept this long (0: read at every event);
    # a change made through this instance clears it at once
    on_call_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    # retries of a delivery whose every channel failed, then it is visible as failed
    max_attempts: int = Field(default=5, ge=1, le=50)
    retry_backoff_seconds: float = Field(default=30.0, gt=0)
    # the escalation sweep: repeats within a step until acknowledged
    sweep_seconds: float = Field(default=5.0, gt=0)
    # a flood: more than this many non-safety messages to one person within the window are
    # held and sent as one digest at the window's end
    flood_threshold: int = Field(default=3, ge=1)
    flood_window_seconds: int = Field(default=60, ge=1)
    stream_poll_seconds: float = Field(default=1.0, gt=0)

    @field_validator("pii_keys")
    @classmethod
    def _keyring_parses(cls, value: SecretStr) -> SecretStr:
        parse_keyring(value.get_secret_value())
        return value

    @field_validator("webhook_allowed_hosts")
    @classmethod
    def _allow_list_parses(cls, value: str) -> str:
        AllowList.parse(value)
        return value

    def webhook_guard(self) -> WebhookGuard:
        return WebhookGuard(
            allow=AllowList.parse(self.webhook_allowed_hosts), https_only=self.env != "dev"
        )

    def field_cipher(self) -> FieldCipher:
        return FieldCipher(parse_keyring(self.pii_keys.get_secret_value()), self.pii_active_key_id)

    def blind_index_key_bytes(self) -> bytes:
        return to_key_bytes(self.blind_index_key.get_secret_value())
