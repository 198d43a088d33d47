"""GET /api/docs: Swagger UI from the pinned flask-swagger-ui package, so the page works without internet."""

from importlib.resources import files
from pathlib import Path

from flask import Blueprint, Response, render_template, send_from_directory, url_for
from werkzeug.exceptions import NotFound

# The only files served, each with its type: any other name is a 404, so no other file on disk is reachable.
PACKAGED = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}
OWN = {"swagger-init.js": "text/javascript"}
ASSET_MAX_AGE_S = 86_400  # a day, then revalidated by ETag: the names carry no version
# No inline script or style is needed (swagger-init.js starts the UI), so only this origin's may run;
# data: images are the icons swagger-ui.css embeds; connect-src lets "Try it out" call this API.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

blp = Blueprint("docs", __name__, url_prefix="/api/docs", template_folder="docs_page")


@blp.get("")
def page() -> Response:
    """The page: Swagger UI reading the gateway's own OpenAPI document."""
    html = render_template("swagger_ui_page.html", spec_url=url_for("api-docs.openapi_json"))
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Cache-Control"] = "no-cache"
    return response


@blp.get("/assets/<name>")
def asset(name: str) -> Response:
    """One of the page's files, by exact name; NotFound for a name not on the lists."""
    if name in PACKAGED:
        directory, mimetype = Path(str(files("flask_swagger_ui") / "dist")), PACKAGED[name]
    elif name in OWN:
        directory, mimetype = Path(__file__).with_name("docs_page"), OWN[name]
    else:
        raise NotFound()
    response = send_from_directory(directory, name, mimetype=mimetype, max_age=ASSET_MAX_AGE_S)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
