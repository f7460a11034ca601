import { BadRequestException, Injectable } from '@nestjs/common';
import { AgsClient } from '../lms/lti-ags/ags.client';
import { ltiUrlProblem } from '../lms/lti-ags/ags-urls';
import { LmsError } from '../lms/moodle/moodle-errors';
import { ConnectionsService } from './connections.service';
import { LineItemsQueryDto, LineItemView } from './line-items.dto';

/** GET /connections/:id/lineitems: the line items a platform hands out for a course, to map one without reading its database. */
@Injectable()
export class LineItemsService {
  constructor(
    private readonly connections: ConnectionsService,
    private readonly ags: AgsClient,
  ) {}

  async list(id: string, query: LineItemsQueryDto): Promise<LineItemView[]> {
    const connection = await this.connections.find(id);
    if (connection.kind !== 'lti-ags') throw new BadRequestException(`connection ${id} is a ${connection.kind} connection: line items belong to lti-ags connections`);
    if ((query.courseId === undefined) === (query.containerUrl === undefined)) {
      throw new BadRequestException('courseId or containerUrl: give exactly one (courseId for Moodle, containerUrl for any platform)');
    }
    const containerUrl = query.containerUrl ?? `${connection.ltiIssuer!.replace(/\/+$/, '')}/mod/lti/services.php/${query.courseId}/lineitems?type_id=${encodeURIComponent(connection.ltiDeploymentId!)}`;
    const shape = ltiUrlProblem(containerUrl, []);
    if (shape) throw new BadRequestException(`containerUrl ${shape}`);
    try {
      const items = await this.ags.session(connection).listLineItems(containerUrl);
      return items.map((i) => ({ lineItemUrl: i.id, label: i.label, scoreMaximum: i.scoreMaximum, resourceLinkId: i.resourceLinkId, resourceId: i.resourceId, tag: i.tag }));
    } catch (error) {
      if (!(error instanceof LmsError)) throw error;
      throw new BadRequestException(`the platform did not list the line items of ${containerUrl}: ${error.message}`);
    }
  }
}
