"""Members, their Spotify-user links and artist claims (all in the members table)."""

from __future__ import annotations

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from followswarm.data.models import (
    ArtistClaimModel,
    MemberModel,
    SpotifyUserLinkModel,
    StripeCustomerLinkModel,
)

SPOTIFY_PREFIX = "SPOTIFY#"
ARTIST_PREFIX = "ARTIST#"
STRIPE_PREFIX = "STRIPE#"


class ClaimTaken(Exception):
    """Another member already holds the artist claim."""


class LinkTaken(Exception):
    """Another member was created for the same Spotify user at the same time."""


def _connection() -> Connection:
    # bind_models() sets these at start-up; pynamodb's Meta stub does not declare them.
    meta = MemberModel.Meta
    return Connection(region=getattr(meta, "region", None), host=getattr(meta, "host", None))


def get(member_id: str, *, consistent: bool = False) -> MemberModel | None:
    try:
        return MemberModel.get(member_id, consistent_read=consistent)
    except DoesNotExist:
        return None


def member_id_for_spotify_user(spotify_user_id: str) -> str | None:
    try:
        link = SpotifyUserLinkModel.get(SPOTIFY_PREFIX + spotify_user_id, consistent_read=True)
    except DoesNotExist:
        return None
    return str(link.member_id)


def create(member: MemberModel) -> None:
    """Creates the member and its Spotify-user link atomically (first sign-in)."""
    link = SpotifyUserLinkModel(SPOTIFY_PREFIX + member.spotify_user_id, member_id=member.pk)
    try:
        with TransactWrite(connection=_connection()) as transaction:
            transaction.save(link, condition=SpotifyUserLinkModel.pk.does_not_exist())
            transaction.save(member, condition=MemberModel.pk.does_not_exist())
    except TransactWriteError as exc:
        raise LinkTaken(member.spotify_user_id) from exc
    # TransactWrite does not bump the local version the way save() does.
    member.refresh(consistent_read=True)


def artist_claim(artist_id: str) -> ArtistClaimModel | None:
    try:
        return ArtistClaimModel.get(ARTIST_PREFIX + artist_id, consistent_read=True)
    except DoesNotExist:
        return None


def claim_artist(
    member: MemberModel, artist_id: str, artist_name: str, status: str, now: int
) -> None:
    """Moves the member's claim to ``artist_id`` in one transaction (one member per artist)."""
    claim = ArtistClaimModel(ARTIST_PREFIX + artist_id, member_id=member.pk, claimed_at=now)
    try:
        with TransactWrite(connection=_connection()) as transaction:
            # A claim row may exist already only if it is this member's own.
            transaction.save(
                claim,
                condition=ArtistClaimModel.pk.does_not_exist()
                | (ArtistClaimModel.member_id == member.pk),
            )
            if member.artist_id and member.artist_id != artist_id:
                transaction.delete(
                    ArtistClaimModel(ARTIST_PREFIX + member.artist_id),
                    condition=ArtistClaimModel.member_id == member.pk,
                )
            transaction.update(
                member,
                actions=[
                    MemberModel.artist_id.set(artist_id),
                    MemberModel.artist_name.set(artist_name),
                    MemberModel.artist_claim_status.set(status),
                    MemberModel.updated_at.set(now),
                ],
            )
    except TransactWriteError as exc:
        reasons = [r.code for r in (exc.cancellation_reasons or []) if r is not None]
        if reasons and reasons[0] == "ConditionalCheckFailed":
            raise ClaimTaken(artist_id) from exc
        raise
    member.refresh(consistent_read=True)


def delete_all(member: MemberModel) -> None:
    """Removes the member, its Spotify-user link, its artist claim and its Stripe link."""
    with TransactWrite(connection=_connection()) as transaction:
        transaction.delete(SpotifyUserLinkModel(SPOTIFY_PREFIX + member.spotify_user_id))
        if member.artist_id:
            transaction.delete(
                ArtistClaimModel(ARTIST_PREFIX + member.artist_id),
                condition=ArtistClaimModel.member_id == member.pk,
            )
        transaction.delete(MemberModel(member.pk), add_version_condition=False)
        if member.stripe_customer_id:
            transaction.delete(StripeCustomerLinkModel(STRIPE_PREFIX + member.stripe_customer_id))
