import sys

from sleepy.jobs import one, run_jobs as jobs


async def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    done, name = await jobs(int(argv[0]) if argv else 3)
    print(name, done, await one())
    return 0
