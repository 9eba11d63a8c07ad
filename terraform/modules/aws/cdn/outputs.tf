output "domain" {
  description = "The name browsers fetch static files and media from: cdn.domain when given, else the distribution's *.cloudfront.net name; \"\" without a distribution."
  value       = local.custom_domain ? var.domain : try(aws_cloudfront_distribution.this[0].domain_name, "")
}

output "distribution_domain_name" {
  description = "The distribution's own *.cloudfront.net name (what a custom name's record points at); \"\" without one."
  value       = try(aws_cloudfront_distribution.this[0].domain_name, "")
}

output "distribution_id" {
  description = "ID of the distribution (for cache invalidations); \"\" without one."
  value       = try(aws_cloudfront_distribution.this[0].id, "")
}

output "certificate_arn" {
  description = "ARN of the ACM certificate (in us-east-1) of the custom name; \"\" without one."
  value       = try(aws_acm_certificate.this[0].arn, "")
}
