"""What every feature stands on: settings, the database and other extensions, errors, security
headers, logs, time, forms, templates' filters, e-mail rendering, kept uploads and files.
Nothing here knows about the features."""
