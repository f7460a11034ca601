import { ApiProperty } from '@nestjs/swagger';

export class ToolKeyView {
  @ApiProperty({ example: 'Zq3lD8n0Wk7tq5b1bq8xgNfX0T1rQk0hY2dbA6Qm6yI' }) kid!: string;
  @ApiProperty() createdAt!: Date;
  @ApiProperty({ description: 'The key that signs client assertions now (the newest)' }) current!: boolean;
}

export class ToolView {
  @ApiProperty({ description: "The current key's public half (SPKI PEM): what Moodle calls \"Public key\" with \"Public key type: RSA key\"" })
  publicKeyPem!: string;

  @ApiProperty({ example: 'https://grades.example.edu/.well-known/jwks.json', description: 'Every public key as a JWK set: the "Keyset URL" alternative to pasting the PEM' })
  jwksUrl!: string;

  @ApiProperty({ description: "The current key's id (the `kid` header of each client assertion)" })
  kid!: string;

  @ApiProperty({ type: [ToolKeyView], description: 'Every stored key, newest (current) first' })
  keys!: ToolKeyView[];
}

export class JwkView {
  @ApiProperty({ example: 'RSA' }) kty!: string;
  @ApiProperty() n!: string;
  @ApiProperty({ example: 'AQAB' }) e!: string;
  @ApiProperty() kid!: string;
  @ApiProperty({ example: 'RS256' }) alg!: string;
  @ApiProperty({ example: 'sig' }) use!: string;
}

export class JwksView {
  @ApiProperty({ type: [JwkView] }) keys!: JwkView[];
}
