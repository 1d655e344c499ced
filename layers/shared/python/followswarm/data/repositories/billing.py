"""A member's Stripe customer and subscription, and the customer -> member lookup."""

from __future__ import annotations

from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError

from followswarm.data.models import MemberModel, StripeCustomerLinkModel
from followswarm.data.repositories.members import STRIPE_PREFIX
from followswarm.data.repositories.members import get as get_member


class CustomerTaken(Exception):
    """The member already has another Stripe customer (a concurrent checkout won)."""


def _connection() -> Connection:
    meta: Any = MemberModel.Meta
    return Connection(region=getattr(meta, "region", None), host=getattr(meta, "host", None))


def member_id_for_customer(customer_id: str) -> str | None:
    try:
        link = StripeCustomerLinkModel.get(STRIPE_PREFIX + customer_id, consistent_read=True)
    except DoesNotExist:
        return None
    return str(link.member_id)


def link_customer(member: MemberModel, customer_id: str, now: int) -> None:
    """Records the member's Stripe customer once: the link and the member field, atomically
    (version-checked: raises :class:`CustomerTaken` if the member changed meanwhile)."""
    from pynamodb.transactions import TransactWrite

    link = StripeCustomerLinkModel(STRIPE_PREFIX + customer_id, member_id=member.pk)
    try:
        with TransactWrite(connection=_connection()) as transaction:
            transaction.save(
                link,
                condition=StripeCustomerLinkModel.pk.does_not_exist()
                | (StripeCustomerLinkModel.member_id == member.pk),
            )
            transaction.update(
                member,
                actions=[
                    MemberModel.stripe_customer_id.set(customer_id),
                    MemberModel.updated_at.set(now),
                ],
                condition=MemberModel.stripe_customer_id.does_not_exist()
                | (MemberModel.stripe_customer_id == customer_id),
            )
    except TransactWriteError as exc:
        raise CustomerTaken(customer_id) from exc


def set_subscription(
    member_id: str,
    *,
    tier: str,
    subscription_id: str | None,
    status: str | None,
    now: int,
    dispatch_now: bool,
) -> MemberModel | None:
    """Applies Stripe's subscription state to the member; ``dispatch_now`` brings a scheduled
    member's next dispatch forward (a raised cap takes effect at the next tick)."""
    for _ in range(3):
        member = get_member(member_id, consistent=True)
        if member is None:
            return None
        actions: list[Any] = [
            MemberModel.tier.set(tier),
            MemberModel.subscription_status.set(status)
            if status
            else MemberModel.subscription_status.remove(),
            MemberModel.subscription_id.set(subscription_id)
            if subscription_id
            else MemberModel.subscription_id.remove(),
            MemberModel.updated_at.set(now),
        ]
        if (
            dispatch_now
            and member.dispatch_shard
            and member.next_dispatch_at is not None
            and member.next_dispatch_at > now
        ):
            actions.append(MemberModel.next_dispatch_at.set(now))
        try:
            member.update(actions=actions)  # version-checked: a concurrent write retries
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                continue
            raise
        return member
    raise RuntimeError(f"member {member_id} kept changing while its subscription was applied")


def delete_customer_link(customer_id: str) -> None:
    StripeCustomerLinkModel(STRIPE_PREFIX + customer_id).delete()
