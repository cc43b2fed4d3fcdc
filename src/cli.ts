// placeholder
console.log('kops-mfa');
