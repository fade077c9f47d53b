"""Channels behind one interface (`base.ChannelAdapter`): in-app, monitoring centre, signed
webhook, SMS and voice through a provider adapter. The dispatcher tries a delivery's channels
in order and falls back to the next one when a channel fails."""
