"""``brctl``: the operator command line (pins, userdata, drift, cutover). boto3 lives here and in images/."""
