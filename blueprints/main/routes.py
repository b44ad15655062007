"""The home page: where the unit stands in the organisation's default reporting period, and what
the user's role has to do."""
from flask import Blueprint, render_template
from flask_login import current_user

from blueprints.main.panels import panels_for
from utils import figures
from utils.periods import default_period, match_choice

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    period = default_period()
    summary = figures.summary(period)
    return render_template("main/home.html", period=period, choice=match_choice(period),
                           summary=summary, user=current_user,
                           panels=panels_for(current_user, period))
