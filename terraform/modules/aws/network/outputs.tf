output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnets, one per zone (load balancer, NAT gateways, bastion)."
  value       = aws_subnet.public[*].id
}

output "public_subnet_cidrs" {
  description = "Ranges of the public subnets, in the order of public_subnet_ids."
  value       = aws_subnet.public[*].cidr_block
}

output "app_subnet_ids" {
  description = "Private subnets of the app and worker tiers, one per zone."
  value       = aws_subnet.app[*].id
}

output "data_subnet_ids" {
  description = "Private subnets of the data tier, one per zone."
  value       = aws_subnet.data[*].id
}

output "security_group_ids" {
  description = "Security group IDs by tier: lb, app, worker, bastion, mysql, mongodb, redis, search, rabbitmq."
  value       = local.group_ids
}

output "nat_public_ips" {
  description = "Public addresses the private hosts reach the internet from (for allow-lists such as SMTP relays)."
  value       = aws_eip.nat[*].public_ip
}
