"""The home page: where the unit stands this year, and what the user's role has to do."""
from flask import Blueprint, render_template
from flask_login import current_user

from blueprints.main.panels import panels_for
from utils import figures
from utils.dates import year_to_date

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    period = year_to_date()
    summary = figures.summary(period)
    return render_template("main/home.html", period=period, summary=summary,
                           user=current_user, panels=panels_for(current_user))
