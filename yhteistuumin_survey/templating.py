"""The one Jinja2 environment factory: workspace ``templates/`` first, bundled ones second.

``StrictUndefined`` makes a missing variable an error (never an empty hole in a mail to 308
municipalities); HTML templates (a name containing ``.html``) are autoescaped. Template errors
become :class:`SurveyError` naming the template and the line.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import SurveyError
from .resources import bundled_path

if TYPE_CHECKING:
    import jinja2

    from .workspace import Workspace


def format_date(value: dt.date | dt.datetime) -> str:
    """Format a date the Finnish and Swedish way: ``d.m.yyyy`` (31.1.2027)."""
    return f"{value.day}.{value.month}.{value.year}"


def _autoescape(name: str | None) -> bool:
    return name is not None and ".html" in name


def make_environment(workspace: Workspace | None) -> jinja2.Environment:
    """Return the environment loading the workspace's templates first, then the bundled ones."""
    import jinja2

    folders: list[Path] = []
    if workspace is not None and (workspace.root / "templates").is_dir():
        folders.append(workspace.root / "templates")
    bundled = bundled_path("templates")
    if bundled not in folders:
        folders.append(bundled)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(folder) for folder in folders]),
        undefined=jinja2.StrictUndefined,
        autoescape=_autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["date"] = format_date
    return env


def render_template(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    """Render template ``name``; any template problem becomes a SurveyError naming it."""
    import jinja2

    try:
        template = env.get_template(name)
        return template.render(context)
    except jinja2.TemplateNotFound as exc:
        raise SurveyError(f"templates/{exc.name}: template not found; restore it from the "
                          "bundled templates or remove the workspace override") from None
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or f"templates/{name}"
        raise SurveyError(f"{where}:{exc.lineno}: template syntax error: {exc.message}; "
                          "fix the template") from None
    except jinja2.UndefinedError as exc:
        where = _error_location(exc) or _template_file(env, name)
        raise SurveyError(f"{where}: {exc.message}; fix the variable name in the "
                          "template (see the bundled template for the variables)") from None
    except jinja2.TemplateError as exc:
        where = _template_file(env, name)
        raise SurveyError(f"{where}: template error: {exc}; fix the template") from None


def _template_file(env: jinja2.Environment, name: str) -> str:
    try:
        source = env.loader.get_source(env, name) if env.loader is not None else None
    except Exception:  # noqa: BLE001 - only used to name the file in a message
        source = None
    return source[1] if source and source[1] else f"templates/{name}"


def _error_location(exc: BaseException) -> str | None:
    """Return ``file:line`` of the innermost template frame of the error (Jinja2 rewrites the
    traceback so that template frames carry the template's file name and line)."""
    tb = exc.__traceback__
    location = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            location = f"{filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return location
