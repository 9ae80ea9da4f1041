"""Reference data: clearing members, accounts, collateral ledger, FX rates; and the admin API over them."""

from gateway.refdata.fx import FxRates
from gateway.refdata.model import Account, AssetKind, Holding, Member, MemberStatus

__all__ = ["Account", "AssetKind", "FxRates", "Holding", "Member", "MemberStatus"]
