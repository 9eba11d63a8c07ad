output "dns_name" {
  description = "DNS name of the load balancer; point the public domains at it (CNAME or alias)."
  value       = aws_lb.this.dns_name
}

output "zone_id" {
  description = "Route 53 zone ID of the load balancer, for alias records."
  value       = aws_lb.this.zone_id
}

output "arn" {
  description = "ARN of the load balancer."
  value       = aws_lb.this.arn
}

output "type" {
  description = "application (TLS at the load balancer) or network (TCP passthrough)."
  value       = aws_lb.this.load_balancer_type
}

output "certificate_arn" {
  description = "ACM certificate ARN (cloud or provided), null for acme/self_signed."
  value       = try(aws_acm_certificate.cloud[0].arn, aws_acm_certificate.provided[0].arn, null)
}
