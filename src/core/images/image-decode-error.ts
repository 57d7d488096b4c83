export type ImageProblem = 'empty' | 'unsupported' | 'truncated' | 'undecodable' | 'too-many-pixels'

/** Why one image cannot be used; `message` is a phrase that follows the file's name. */
export class ImageDecodeError extends Error {
  constructor(
    readonly problem: ImageProblem,
    message: string,
  ) {
    super(message)
    this.name = 'ImageDecodeError'
  }
}
