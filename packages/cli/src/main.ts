process.stdout.write('paystate: the demo arrives with the server (issue 3); not yet.\n');
