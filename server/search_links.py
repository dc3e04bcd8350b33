"""One-click reverse-image searches for when the image is not a known fake.

Finding the origin is the next step after "no match", and TinEye sorted oldest
first is the debunker's first move. Engine URL templates live on the server so a
broken engine is fixed without shipping a new extension.
"""

from __future__ import annotations

from urllib.parse import quote

from .records import SearchLink

_BY_URL = (
    ("TinEye (oldest first)", "https://tineye.com/search?url={u}&sort=crawl_date&order=asc"),
    ("Google Lens", "https://lens.google.com/uploadbyurl?url={u}"),
    ("Bing Visual Search", "https://www.bing.com/images/search?view=detailv2&iss=sbi&q=imgurl:{u}"),
    ("Yandex Images", "https://yandex.com/images/search?rpt=imageview&url={u}"),
)

# Without a public URL (an upload), the engines' own upload pages are the best we can do.
_UPLOAD = (
    ("TinEye (oldest first)", "https://tineye.com/"),
    ("Google Lens", "https://lens.google.com/"),
    ("Bing Visual Search", "https://www.bing.com/visualsearch"),
    ("Yandex Images", "https://yandex.com/images/"),
)


def search_links(image_url: str | None) -> list[SearchLink]:
    """Links to search ``image_url`` (if it is public http/https) on public engines."""
    if image_url and image_url.startswith(("http://", "https://")):
        encoded = quote(image_url, safe="")
        return [
            SearchLink(engine=name, url=template.format(u=encoded)) for name, template in _BY_URL
        ]
    return [SearchLink(engine=name, url=url) for name, url in _UPLOAD]
