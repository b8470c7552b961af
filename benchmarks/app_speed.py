"""Speed of ``qdml app`` as a user meets it, in headless Chromium (Debian's chromium + chromium-driver).

Prints: seconds from launch until the server answers (the model is loaded before it answers), seconds
from opening the page until the first prediction is on screen (target 5 s), seconds from pressing
Enter on a new ligand until its prediction is on screen (target 1 s), and the Rank page's first load.
``--screenshots DIR`` also saves predict.png and rank.png, 1400 px wide (the README's pictures).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from selenium.webdriver.common.keys import Keys  # noqa: E402

from qdml.chemistry.ligands import parse_ligand  # noqa: E402
from tests.app.browser import (  # noqa: E402
    app_idle,
    chromium,
    clear,
    missing_browser,
    running_app,
    showing,
    wait_for,
)

LIGANDS = ["KBr", "Cl-", "ZnCl2", "In3+", "SO4 2-", "NaBF4", "Pb(SCN)2", "KI", "ZnBr2", "SCN-"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default=None, help="bundle name or folder (default: the shipped default)")
    ap.add_argument("--screenshots", metavar="DIR", help="save predict.png and rank.png here")
    ap.add_argument("--height", type=int, default=1500, help="window height for the screenshots (px)")
    args = ap.parse_args()
    why = missing_browser()
    if why:
        raise SystemExit(f"app_speed: {why}")
    with tempfile.TemporaryDirectory() as tmp, \
            running_app(Path(tmp) / "server.log", model=args.model) as (url, answered), \
            chromium(1400, args.height) as driver:
        t0 = time.perf_counter()
        driver.get(url)
        wait_for(driver, lambda d: showing(d, "SCN- on CsPbBr3"), timeout=60)
        first = time.perf_counter() - t0
        if args.screenshots:
            out = Path(args.screenshots)
            out.mkdir(parents=True, exist_ok=True)
            time.sleep(0.5)  # let the last fade-in finish
            driver.save_screenshot(str(out / "predict.png"))
        updates = []
        for ligand in LIGANDS:
            title = f"{parse_ligand(ligand).name} on CsPbBr3"
            box = clear(driver, "Ligand")
            box.send_keys(ligand)
            t = time.perf_counter()
            box.send_keys(Keys.ENTER)
            wait_for(driver, lambda d, title=title: showing(d, title))
            updates.append(time.perf_counter() - t)
        t = time.perf_counter()
        driver.get(f"{url}/rank")
        wait_for(driver, lambda d: app_idle(d) and d.find_elements("css selector", '[data-testid="stVegaLiteChart"]'),
                 timeout=60)
        rank_first = time.perf_counter() - t
        if args.screenshots:
            time.sleep(1.0)
            driver.save_screenshot(str(Path(args.screenshots) / "rank.png"))
    print(f"server answered after launch: {answered:.1f} s (model loaded and caches filled first)")
    print(f"first page, open -> prediction on screen: {first:.2f} s (target 5 s, ratio {first / 5:.2f})")
    print(f"prediction update, Enter -> on screen: median {statistics.median(updates):.2f} s, "
          f"max {max(updates):.2f} s over {len(updates)} ligands (target 1 s, ratio {statistics.median(updates):.2f})")
    print(f"rank page, open -> table and plot: {rank_first:.2f} s")


if __name__ == "__main__":
    main()
