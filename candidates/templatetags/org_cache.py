"""`{% orgcache "name" vary1 vary2 ... [unless=condition] %}...{% endorgcache %}`: the
enclosed HTML is cached for the member's organization until its next write
(candidates/org_cache.py); when `condition` holds, it is rendered and not cached (a form
bound to what a member typed).

Put inside only what every member of the organization sees the same way for the same vary
values: never anything about the member looking at it unless it is a vary value (their id,
role). Forms are fine: a `{% csrf_token %}` inside is cached as a placeholder and replaced by
the member's own token on every view, so a fragment never carries anyone's token. Querysets
evaluated inside the block (lazy objects from the view) are not run at all when the
fragment comes from the cache.
"""

from __future__ import annotations

from django import template

from candidates.org_cache import cached_fragment, csrf_placeholder, fill_csrf

register = template.Library()


class OrgCacheNode(template.Node):
    def __init__(self, nodelist, name, vary, unless=None):
        self.nodelist, self.name, self.vary, self.unless = nodelist, name, vary, unless

    def render(self, context) -> str:
        if self.unless is not None and self.unless.resolve(context):
            return self.nodelist.render(context)
        request = context.get("request")
        user = getattr(request, "user", None)
        organization = getattr(user, "organization", None) if user else None
        placeholder = csrf_placeholder()

        def render() -> str:
            with context.push(csrf_token=placeholder):
                return self.nodelist.render(context)

        html = cached_fragment(
            organization,
            str(self.name.resolve(context)),
            # The placeholder too: after a SECRET_KEY change, fragments holding the old one
            # are not found (they would be served with an unreplaced, refused token).
            [*(str(v.resolve(context)) for v in self.vary), placeholder],
            render,
        )
        return fill_csrf(html, context.get("csrf_token"))


@register.tag("orgcache")
def do_orgcache(parser, token) -> OrgCacheNode:
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("{% orgcache %} needs a fragment name.")
    unless = None
    if bits[-1].startswith("unless="):
        unless = parser.compile_filter(bits.pop()[len("unless=") :])
    nodelist = parser.parse(("endorgcache",))
    parser.delete_first_token()
    return OrgCacheNode(
        nodelist,
        parser.compile_filter(bits[1]),
        [parser.compile_filter(b) for b in bits[2:]],
        unless,
    )
