"""Agents: the Gmail, Calendar and Drive workers that plan steps run on."""
