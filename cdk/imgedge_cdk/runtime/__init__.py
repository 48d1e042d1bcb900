"""Code that runs in AWS on behalf of the CDK app (custom resource handlers), not at the edge."""
