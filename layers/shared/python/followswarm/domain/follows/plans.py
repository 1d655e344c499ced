"""The plans artists can choose, as the dashboard's plan page shows them.

>>> [p["tier"] for p in plans(Settings.for_stage("dev"))]
['free', 'pro', 'premium']
"""

from __future__ import annotations

from typing import Any, get_args

from followswarm.domain.follows.pacing import PacingLimits
from followswarm.settings import Settings, Tier

#: What each tier adds besides its monthly follows.
TIER_FEATURES: dict[str, tuple[str, ...]] = {
    "free": (),
    "pro": (),
    "premium": ("CSV export of every follow",),
}


def plans(settings: Settings) -> list[dict[str, Any]]:
    """Every tier with its pacing; ``purchasable`` when a Stripe price is configured for it."""
    prices = {"pro": settings.stripe_price_pro, "premium": settings.stripe_price_premium}
    result = []
    for tier in get_args(Tier):
        limits = PacingLimits.for_tier(settings, tier)
        result.append(
            {
                "tier": tier,
                "follows_per_month": limits.per_month,
                "follows_per_hour": limits.per_hour,
                "follows_per_day": limits.per_day,
                "features": list(TIER_FEATURES[tier]),
                "purchasable": tier == "free" or bool(prices.get(tier)),
            }
        )
    return result
