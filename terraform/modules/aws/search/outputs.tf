# The outputs every cloud's search module gives (docs/contracts.md, "Data-store modules"), then AWS's own.

output "host" {
  description = "VPC endpoint of the domain (HTTPS on 443), null when not created."
  value       = try(aws_opensearch_domain.this[0].endpoint, null)
}

output "port" {
  description = "Port clients connect to (HTTPS), null when not created."
  value       = var.create ? 443 : null
}

output "tls" {
  description = "Whether clients must connect over TLS (the domain enforces HTTPS): true whenever the domain exists."
  value       = var.create
}

output "domain_arn" {
  description = "ARN of the domain, null when not created."
  value       = try(aws_opensearch_domain.this[0].arn, null)
}

output "master_user_name" {
  description = "Internal master user name, null when an IAM principal is the master."
  value       = local.internal_db ? var.master_user_name : null
}
