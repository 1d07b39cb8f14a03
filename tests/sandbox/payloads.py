"""Instagram-shaped JSON bodies, as the private API sends and instagrapi parses them."""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any

from .world import Media, Session, User, World

CDN = "https://scontent-iad3-1.cdninstagram.com"
_SHORTCODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def shortcode(pk: int) -> str:
    """Instagram's base64-like shortcode of a media pk."""
    chars = []
    while pk:
        pk, rem = divmod(pk, 64)
        chars.append(_SHORTCODE_ALPHABET[rem])
    return "".join(reversed(chars)) or "A"


def _profile_pic(user: User) -> str:
    return f"{CDN}/v/t51.2885-19/{user.pk}_profile_n.jpg?stp=dst-jpg_s150x150"


def user_short(user: User) -> dict[str, Any]:
    """The `user` object embedded in media, tray entries and login answers."""
    return {
        "pk": user.pk,
        "pk_id": str(user.pk),
        "id": str(user.pk),
        "strong_id__": str(user.pk),
        "username": user.username,
        "full_name": user.full_name,
        "is_private": user.is_private,
        "is_verified": False,
        "profile_pic_id": f"{user.pk}00_{user.pk}",
        "profile_pic_url": _profile_pic(user),
        "has_anonymous_profile_picture": False,
        "fbid_v2": str(17841400000000000 + user.pk),
    }


def user_info(world: World, user: User) -> dict[str, Any]:
    """`user` of users/{username}/usernameinfo/ and users/{pk}/info/."""
    posts = world.posts_of(user.pk)
    followers = sum(1 for candidate in world.users() if user.pk in candidate.following)
    return {
        **user_short(user),
        "media_count": len(posts),
        "follower_count": followers,
        "following_count": len(user.following),
        "biography": "",
        "bio_links": [],
        "external_url": "",
        "account_type": 1,
        "is_business": False,
        "has_highlight_reels": False,
        "hd_profile_pic_url_info": {
            "url": _profile_pic(user),
            "width": 320,
            "height": 320,
        },
        "hd_profile_pic_versions": [
            {"url": _profile_pic(user), "width": 320, "height": 320}
        ],
        "latest_reel_media": int(
            max((m.taken_at for m in world.stories_of(user.pk)), default=0)
        ),
        "total_clips_count": sum(1 for m in posts if m.kind == "reel"),
    }


def account(user: User) -> dict[str, Any]:
    """`user` of accounts/current_user/?edit=true."""
    return {
        **user_short(user),
        "biography": "",
        "external_url": "",
        "is_business": False,
        "birthday": None,
        "phone_number": user.phone_number or "",
        "gender": 3,
        "email": user.email or "",
        "has_anonymous_profile_picture": False,
    }


def logged_in_user(user: User) -> dict[str, Any]:
    """`logged_in_user` of a successful login."""
    return {
        **user_short(user),
        "can_boost_post": False,
        "is_business": False,
        "account_type": 1,
        "is_call_to_action_enabled": None,
        "allowed_commenter_type": "any",
        "has_onboarded_to_text_post_app": True,
        "phone_number": "",
        "country_code": None,
        "national_number": None,
        "show_insights_terms": False,
        "interop_messaging_user_fbid": str(17841400000000000 + user.pk),
        "total_igtv_videos": 0,
        "nametag": {"mode": 0, "gradient": 0, "emoji": "", "selfie_sticker": 0},
    }


def _images(media_pk: int, width: int = 1080, height: int = 1350) -> dict[str, Any]:
    return {
        "candidates": [
            {
                "width": width,
                "height": height,
                "url": f"{CDN}/v/t51.2885-15/{media_pk}_n.jpg?stp=dst-jpg_e35",
            },
            {
                "width": 640,
                "height": 800,
                "url": f"{CDN}/v/t51.2885-15/{media_pk}_n.jpg?stp=dst-jpg_p640x640",
            },
            {
                "width": 320,
                "height": 400,
                "url": f"{CDN}/v/t51.2885-15/{media_pk}_n.jpg?stp=dst-jpg_s320x320",
            },
        ]
    }


def _videos(media_pk: int) -> list[dict[str, Any]]:
    return [
        {
            "type": 101,
            "width": 720,
            "height": 1280,
            "url": f"{CDN}/o1/v/t16/f2/m86/{media_pk}_720.mp4",
            "id": "1",
        },
        {
            "type": 102,
            "width": 480,
            "height": 854,
            "url": f"{CDN}/o1/v/t16/f2/m86/{media_pk}_480.mp4",
            "id": "2",
        },
    ]


def story_item(media: Media, owner: User, viewer_pk: int | None) -> dict[str, Any]:
    """One item of `reel.items` in feed/user/{pk}/story/.

    A story item carries two "liked by me" flags, `has_privately_liked` and
    `has_liked` (feed/user/{pk}/story/ and feed/reels_media/ captures of 2026,
    SOURCES.md "Silent like blocks"). Which one a story like flips is not in any
    capture found (every captured item is unliked), so both tell the world's truth.
    """
    liked = viewer_pk is not None and viewer_pk in media.liked_by
    item: dict[str, Any] = {
        "taken_at": int(media.taken_at),
        "pk": media.pk,
        "id": media.id,
        "code": shortcode(media.pk),
        "device_timestamp": int(media.taken_at * 1_000_000),
        "media_type": media.media_type,
        "product_type": "story",
        "expiring_at": int(media.taken_at) + 86400,
        "imported_taken_at": None,
        "is_reel_media": True,
        "can_reply": True,
        "can_reshare": True,
        "can_send_custom_emojis": True,
        "can_send_prompt": False,
        "caption": None,
        "caption_is_edited": False,
        "has_privately_liked": liked,
        "has_liked": liked,
        "has_translation": False,
        "image_versions2": _images(media.pk, 1080, 1920),
        "original_width": 1080,
        "original_height": 1920,
        "organic_tracking_token": "eyJ2ZXJzaW9uIjo1fQ==",
        "supports_reel_reactions": True,
        "user": user_short(owner),
        "story_is_saved_to_archive": False,
        "viewer_count": None,
    }
    if media.media_type == 2:
        item["video_versions"] = _videos(media.pk)
        item["video_duration"] = 9.8
        item["has_audio"] = True
    return item


def reel(
    world: World, owner: User, stories: list[Media], viewer_pk: int | None
) -> dict[str, Any] | None:
    """`reel` of feed/user/{pk}/story/ (None when there is no live story)."""
    if not stories:
        return None
    latest = int(max(m.taken_at for m in stories))
    seen_at = max(
        (
            int(s.at)
            for s in world.seen
            if s.viewer_pk == viewer_pk and s.owner_pk == owner.pk
        ),
        default=0,
    )
    return {
        "id": owner.pk,
        "strong_id__": str(owner.pk),
        "latest_reel_media": latest,
        "expiring_at": latest + 86400,
        "seen": seen_at,
        "can_reply": True,
        "can_gif_quick_reply": True,
        "can_reshare": True,
        "can_react_with_avatar": False,
        "reel_type": "user_reel",
        "ad_expiry_timestamp_in_millis": None,
        "is_cta_sticker_available": None,
        "app_sticker_info": None,
        "should_treat_link_sticker_as_cta": None,
        "user": user_short(owner),
        "items": [story_item(m, owner, viewer_pk) for m in stories],
        "prefetch_count": 0,
        "media_count": len(stories),
        "media_ids": [m.pk for m in stories],
        "has_besties_media": False,
        "has_video": any(m.media_type == 2 for m in stories),
        "is_nux": False,
    }


def post_item(media: Media, owner: User, viewer_pk: int | None) -> dict[str, Any]:
    """One item of feed/user/{pk}/ (also the media of feed/timeline/)."""
    item: dict[str, Any] = {
        "taken_at": int(media.taken_at),
        "pk": media.pk,
        "id": media.id,
        "fbid": str(17900000000000000 + media.pk % 10**12),
        "device_timestamp": int(media.taken_at * 1000),
        "media_type": media.media_type,
        "code": shortcode(media.pk),
        "client_cache_key": base64.b64encode(str(media.pk).encode()).decode(),
        "filter_type": 0,
        "caption_is_edited": False,
        "like_and_view_counts_disabled": False,
        "is_paid_partnership": False,
        "comment_count": 0,
        "comments_disabled": False,
        "commenting_disabled_for_viewer": False,
        "like_count": media.like_count,
        "has_liked": viewer_pk in media.liked_by,
        # Captured on posts as well (feed/user clips, media info, 2026); always
        # false there in the captures, and nothing here sets it.
        "has_privately_liked": False,
        "top_likers": [],
        "photo_of_you": False,
        "can_viewer_save": True,
        "can_viewer_reshare": True,
        "organic_tracking_token": "eyJ2ZXJzaW9uIjo1fQ==",
        "user": user_short(owner),
        "caption": {
            "pk": str(18000000000000000 + media.pk % 10**12),
            "user_id": owner.pk,
            "text": f"{media.kind} by {owner.username}",
            "type": 1,
            "created_at": int(media.taken_at),
            "created_at_utc": int(media.taken_at),
            "content_type": "comment",
            "status": "Active",
            "did_report_as_spam": False,
            "media_id": media.pk,
            "user": user_short(owner),
        },
        "original_width": 1080,
        "original_height": 1350,
    }
    if media.kind == "photo":
        item["product_type"] = "feed"
        item["image_versions2"] = _images(media.pk)
    elif media.kind == "reel":
        item["product_type"] = "clips"
        item["image_versions2"] = _images(media.pk, 1080, 1920)
        item["video_versions"] = _videos(media.pk)
        item["video_duration"] = 14.5
        item["has_audio"] = True
        item["play_count"] = 100 + media.like_count
        item["original_height"] = 1920
        item["clips_metadata"] = {
            "clips_creation_entry_point": "clips",
            "is_shared_to_fb": False,
        }
    else:  # album
        item["product_type"] = "carousel_container"
        item["carousel_media_count"] = media.carousel_count
        item["carousel_media"] = [
            {
                "id": f"{media.pk + index + 1}_{owner.pk}",
                "pk": media.pk + index + 1,
                "media_type": 1,
                "carousel_parent_id": media.id,
                "image_versions2": _images(media.pk + index + 1),
                "original_width": 1080,
                "original_height": 1350,
                "explore_pivot_grid": False,
                "product_type": "carousel_item",
            }
            for index in range(media.carousel_count)
        ]
    return item


def friendship(viewer: User, target: User) -> dict[str, Any]:
    """friendships/show/{pk}/."""
    return {
        "blocking": False,
        "followed_by": viewer.pk in target.following,
        "following": target.pk in viewer.following,
        "incoming_request": False,
        "is_bestie": False,
        "is_blocking_reel": False,
        "is_muting_reel": False,
        "is_private": target.is_private,
        "is_restricted": False,
        "muting": False,
        "outgoing_request": False,
        "is_feed_favorite": False,
        "subscribed": False,
        "is_eligible_to_subscribe": False,
        "is_supervised_by_viewer": False,
        "is_guardian_of_viewer": False,
        "is_muting_notes": False,
        "is_muting_media_notes": False,
        "status": "ok",
    }


# ------------------------------------------------------------------- sessions
def authorization_header(session: Session) -> str:
    """`ig-set-authorization`: `Bearer IGT:2:` + base64(JSON: ds_user_id, sessionid)."""
    blob = json.dumps(
        {
            "ds_user_id": str(session.pk),
            "sessionid": session.sessionid,
            "should_use_header_over_cookies": True,
        },
        separators=(",", ":"),
    )
    return "Bearer IGT:2:" + base64.b64encode(blob.encode()).decode()


def session_from_authorization(value: str | None) -> str | None:
    """The sessionid inside an `Authorization: Bearer IGT:2:...` header, if any."""
    if not value or not value.startswith("Bearer IGT:"):
        return None
    try:
        data = json.loads(base64.b64decode(value.rsplit(":", 1)[-1]))
    except ValueError, TypeError:
        return None
    sessionid = data.get("sessionid") if isinstance(data, dict) else None
    return sessionid if isinstance(sessionid, str) else None


def session_cookies(session: Session) -> list[str]:
    """Set-Cookie values of a fresh login."""
    domain = "Domain=.instagram.com; Path=/"
    attrs = f"{domain}; Secure; HttpOnly; Max-Age=31536000"
    return [
        f"sessionid={session.sessionid}; {attrs}",
        f"ds_user_id={session.pk}; {domain}; Secure; Max-Age=7776000",
        f"csrftoken={secrets.token_urlsafe(24)}; {domain}; Secure; Max-Age=31449600",
        f'rur="RVA\\054{session.pk}\\0541790000000:01f7"; {domain}; Secure; HttpOnly',
    ]


def session_headers(session: Session) -> dict[str, str]:
    """Response headers (besides Set-Cookie) of a fresh login."""
    return {
        "ig-set-authorization": authorization_header(session),
        "ig-set-ig-u-ds-user-id": str(session.pk),
        "ig-set-ig-u-rur": f"RVA,{session.pk},1790000000:01f7bae7d8b131877d8e0ae1",
        "x-ig-set-www-claim": "hmac.AR3" + secrets.token_urlsafe(30),
    }


# --------------------------------------------------------------------- Bloks
def bloks_layout(
    action: str = "(bk.action.core.TakeLast)", data: list[Any] | None = None
) -> dict[str, Any]:
    """A Bloks answer: `layout.bloks_payload` with `data`, `tree` and `action`."""
    return {
        "layout": {
            "bloks_payload": {
                "data": data or [],
                "tree": {"bk.components.Flexbox": {"children": []}},
                "embedded_payloads": [],
                "error_attribution": {"logging_id": "{}", "source_map_id": ""},
                "action": action,
            }
        },
        "status": "ok",
    }


def bloks_aac(aac: str) -> dict[str, Any]:
    """process_client_data_and_redirect: carries the account access context (aac)."""
    return bloks_layout(
        "(bk.action.caa.login.Redirect, "
        '"com.bloks.www.caa.login.aymh_single_profile_screen_entry")',
        [
            {
                "id": "4a3b",
                "type": "gs",
                "data": {"key": "CAA_ACCOUNT_ACCESS_CONTEXT:aac", "initial": aac},
            },
            {
                "id": "4a3c",
                "type": "gs",
                "data": {"key": "CAA_LOGIN_HOME:waterfall", "initial": ""},
            },
        ],
    )


def bloks_fallback(reason: str) -> dict[str, Any]:
    """A CAA login answer that sends the client back to the legacy accounts/login/."""
    return bloks_layout(
        '(bk.action.core.TakeLast, (bk.action.caa.Log, "login_fallback"))',
        [
            {
                "id": "5f01",
                "type": "gs",
                "data": {"key": f"CAA_LOGIN_FALLBACK:{reason}", "initial": True},
            }
        ],
    )


def bloks_login_success(world: World, user: User, session: Session) -> dict[str, Any]:
    """A Bloks answer whose action embeds the login response, headers and cookies."""
    headers = {
        "IG-Set-Authorization": authorization_header(session),
        "ig-set-ig-u-rur": session_headers(session)["ig-set-ig-u-rur"],
        "ig-set-ig-u-ds-user-id": str(session.pk),
    }
    login_response = {
        "logged_in_user": logged_in_user(user),
        "session_flush_nonce": None,
        "status": "ok",
    }
    embedded = {
        "login_response": json.dumps(login_response, separators=(",", ":")),
        "headers": json.dumps(headers, separators=(",", ":")),
        "cookies": "\n".join(
            f"Set-Cookie: {cookie}" for cookie in session_cookies(session)[:2]
        ),
        "server_time": int(world.clock.now()),
    }
    literal = json.dumps(json.dumps(embedded, separators=(",", ":")))
    action = (
        f"(bk.action.caa.HandleLoginResponse, {literal}, (bk.action.core.TakeLast))"
    )
    return bloks_layout(action)


def bloks_two_step(context: str, user: User) -> dict[str, Any]:
    """A CAA login answer that opens the two-step verification app with its context."""
    flags = '"sms_two_factor_on" "totp_two_factor_on"'
    values = (
        f"{'true' if user.two_factor_method in {'sms', 'whatsapp'} else 'false'} "
        f"{'true' if user.two_factor_method == 'totp' else 'false'}"
    )
    server_params = (
        '(f4i (dkc "two_step_verification_context" "flow_source") '
        f'(dkc {json.dumps(context)} "two_factor_login"))'
    )
    action = (
        '(bk.action.bloks.OpenApp, "com.bloks.www.two_step_verification.entrypoint", '
        f'(f4i (dkc "server_params" {flags}) (dkc {server_params} {values})))'
    )
    return bloks_layout(action)


def bloks_two_step_error(message: str) -> dict[str, Any]:
    """A verify_code answer for a refused code (no embedded login response)."""
    return bloks_layout(f"(bk.action.caa.ShowError, {json.dumps(message)})")


# ------------------------------------------------------------ batched feeds
def reels_media(reels: list[dict[str, Any]]) -> dict[str, Any]:
    """feed/reels_media/: the same reels keyed by id (`reels`) and as a list.

    Both keys, as mgp25's ReelsMediaResponse maps them (dilame's POST client reads
    `reels`, GET `?reel_ids=` users read `reels_media`); accounts without a live
    story are left out of both.
    """
    return {
        "reels": {str(entry["id"]): entry for entry in reels},
        "reels_media": reels,
        "status": "ok",
    }


def following_user(world: World, user: User) -> dict[str, Any]:
    """One of `users` in friendships/{pk}/following/ (dilame's response type)."""
    return {
        **user_short(user),
        "is_favorite": False,
        "latest_reel_media": int(
            max((m.taken_at for m in world.stories_of(user.pk)), default=0)
        ),
    }


def following_page(
    users: list[dict[str, Any]], next_max_id: str | None, page_size: int
) -> dict[str, Any]:
    """friendships/{pk}/following/: `users`, `big_list`, `page_size`, `next_max_id`."""
    return {
        "sections": None,
        "users": users,
        "big_list": next_max_id is not None,
        "next_max_id": next_max_id,
        "page_size": page_size,
        "status": "ok",
    }


# ------------------------------------------------------------------ timeline
def timeline_media(media: Media, owner: User, viewer_pk: int | None) -> dict[str, Any]:
    """A followed account's post as `media_or_ad` carries it in feed/timeline/."""
    return {
        **post_item(media, owner, viewer_pk),
        "inventory_source": "media_or_ad",
        "is_seen": False,
        "is_eof": False,
    }


def timeline_ad(media: Media, owner: User, viewer_pk: int | None) -> dict[str, Any]:
    """A sponsored `media_or_ad`: the post plus `injected` and the ad fields.

    Field names, nesting and order follow the ad a user pasted in
    mgp25/Instagram-API#2227 (`injected` with `label: Sponsored`, `ad_id`...,
    then `ad_metadata`, `link`, `ad_action`, `ad_link_type`, `dr_ad_type`); the
    top-level `ad_id` is dilame's TimelineFeedResponse type.
    """
    ad_id = media.ad_id or "0"
    return {
        **post_item(media, owner, viewer_pk),
        "injected": {
            "label": "Sponsored",
            "show_icon": True,
            "hide_label": "Hide this",
            "invalidation": None,
            "is_demo": False,
            "view_tags": [],
            "is_holdout": False,
            "tracking_token": "AI@" + secrets.token_hex(16),
            "show_ad_choices": False,
            "ad_title": owner.full_name or owner.username,
            "about_ad_params": "",
            "direct_share": True,
            "ad_id": int(ad_id),
            "display_viewability_eligible": False,
            "lead_gen_form_id": 0,
            "is_leadgen_native_eligible": False,
            "hide_reasons_v2": [
                {"text": "It's not relevant", "reason": "NOT_RELEVANT"},
                {"text": "I see it too often", "reason": "KEEP_SEEING_THIS"},
                {"text": "It's inappropriate", "reason": None},
            ],
            "hide_flow_type": 2,
            "cookies": [],
        },
        "collapse_comments": False,
        "ad_metadata": [{"value": f"{owner.username}.example", "type": 1}],
        "link": f"https://{owner.username}.example/",
        "link_text": "Learn More",
        "ad_action": "webclick",
        "link_hint_text": "Tap Photo to Open Page",
        "iTunesItem": None,
        "ad_link_type": 0,
        "ad_header_style": 0,
        "dr_ad_type": 1,
        "android_links": [
            {
                "linkType": 1,
                "webUri": f"https://{owner.username}.example/",
                "androidClass": "",
                "package": "",
                "deeplinkUri": "",
                "callToActionTitle": "Learn More",
                "redirectUri": None,
                "leadGenFormId": 0,
                "igUserId": None,
                "appInstallObjectiveInvalidationBehavior": None,
            }
        ],
        "force_overlay": False,
        "hide_nux_text": False,
        "overlay_text": "",
        "overlay_title": "",
        "overlay_subtitle": "",
        "ad_id": ad_id,
    }


def explore_story(media: Media, owner: User, viewer_pk: int | None) -> dict[str, Any]:
    """A recommended post or reel: `explore_story` with the media and `explore`.

    The slot and its fields (`media.explore.explanation`, `recommendation_data`,
    `id`, `inventory_source`) follow a recorded home feed's type (SOURCES.md).
    """
    return {
        "media": {
            **post_item(media, owner, viewer_pk),
            "inventory_source": "explore_story",
            "recommendation_data": json.dumps({"source": "feed_recs"}),
            "explore": {"explanation": "Suggested for you"},
        },
        "id": media.id,
        "inventory_source": "explore_story",
    }


def suggested_users(users: list[User], unit_id: str) -> dict[str, Any]:
    """A `suggested_users` unit (mgp25's SuggestedUsers / Suggestion models)."""
    return {
        "id": unit_id,
        "view_all_text": "See All",
        "title": "Suggested for You",
        "auto_dvance": "",
        "type": 2,
        "tracking_token": secrets.token_hex(16),
        "landing_site_type": "suggested_user",
        "landing_site_title": "Discover People",
        "upsell_fb_pos": "none",
        "suggestions": [
            {
                "user": user_short(user),
                "algorithm": "ig_friends_of_friends_from_tao_laser_algorithm",
                "social_context": "Suggested for you",
                "icon": "",
                "caption": "",
                "media_ids": [],
                "thumbnail_urls": [],
                "large_urls": [],
                "media_infos": [],
                "value": 1.0,
                "is_new_suggestion": False,
            }
            for user in users
        ],
    }


def end_of_feed_demarcator() -> dict[str, Any]:
    """The "You're all caught up" unit after the last followed post.

    `id`, `title`, `subtitle` (mgp25's EndOfFeedDemarcator), `pause` (goinsta's
    feed cache), `style` (the recorded home feed's type). The wording is the
    app's; no capture of the strings was found.
    """
    return {
        "id": "end_of_feed_demarcator",
        "title": "You're All Caught Up",
        "subtitle": "You've seen all new posts from the past 3 days.",
        "style": "checkmark",
        "pause": True,
    }


def timeline_page(
    feed_items: list[dict[str, Any]], next_max_id: str | None
) -> dict[str, Any]:
    """feed/timeline/ (field names of dilame's TimelineFeedResponse)."""
    return {
        "num_results": len(feed_items),
        "more_available": next_max_id is not None,
        "auto_load_more_enabled": True,
        "feed_items": feed_items,
        "is_direct_v2_enabled": True,
        "next_max_id": next_max_id,
        "pagination_info": {"source": None, "group_id": None},
        "view_state_version": secrets.token_hex(16),
        "client_feed_changelist_applied": False,
        "feed_pill_text": "New Posts",
        "client_gap_enforcer_matrix": [],
        "status": "ok",
    }
