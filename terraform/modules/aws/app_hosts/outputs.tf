output "hosts" {
  description = "One object per host: name, address (private IP) and public_address (\"\" without one)."
  value = [
    for i in aws_instance.this : {
      name           = i.tags["Name"]
      address        = i.private_ip
      public_address = i.public_ip == null ? "" : i.public_ip
    }
  ]
}

output "instance_ids" {
  description = "EC2 instance IDs (for target group attachments and snapshots)."
  value       = aws_instance.this[*].id
}

output "ami_id" {
  description = "AMI the hosts were created from, null without hosts."
  value       = try(data.aws_ami.this[0].id, null)
}

output "role_arn" {
  description = "ARN of the created IAM role, null when none was created."
  value       = try(aws_iam_role.this[0].arn, null)
}

output "instance_profile_name" {
  description = "Instance profile attached to the hosts (created or given), null when none."
  value       = local.instance_profile_name
}
