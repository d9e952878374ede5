"""Modbus TCP polling: register maps as configuration, one async connection per gateway."""
from __future__ import annotations

from .config import DeviceConfig, GatewayConfig, gateways_from_config
from .poller import GatewayPoller, poll_gateways
from .registers import Block, RegisterMapError, RegisterSpec, plan_reads, spec_from_mapping

__all__ = ["Block", "DeviceConfig", "GatewayConfig", "GatewayPoller", "RegisterMapError", "RegisterSpec",
           "gateways_from_config", "plan_reads", "poll_gateways", "spec_from_mapping"]
